/**
 * The edge's JavaScript heap through workerd's V8 inspector, for bench:soak's `--heap`: what the edge's
 * own code keeps alive, next to the workerd process's RSS. A leak in workers/ or objects/ shows as a heap
 * that grows after full collections; a flat heap with a rising RSS is memory below JavaScript (workerd's
 * allocator keeping freed pages, native buffers).
 *
 * workerd keeps one inspector session per worker: hold one `EdgeHeap` for the whole run.
 */
import { Inspector } from './edge-profile.ts'

export interface HeapFigures {
  /** Bytes of live objects. */
  usedBytes: number
  /** Bytes V8 holds for its heap. */
  totalBytes: number
}

export class EdgeHeap {
  private constructor(private inspector: Inspector) {}

  /** Opens the inspector of `worker` (`core:user:` is the edge's: the stateless worker and its objects). */
  static async open(inspectorPort: number, worker = 'core:user:'): Promise<EdgeHeap> {
    const inspector = await Inspector.open(`ws://127.0.0.1:${inspectorPort}/${worker}`)
    await inspector.send('HeapProfiler.enable')
    return new EdgeHeap(inspector)
  }

  /** The heap as it is (garbage included). */
  async usage(): Promise<HeapFigures> {
    const u = await this.inspector.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage')
    return { usedBytes: u.usedSize, totalBytes: u.totalSize }
  }

  /** The heap after two full collections: what is really held. */
  async afterGc(): Promise<HeapFigures> {
    await this.inspector.send('HeapProfiler.collectGarbage')
    await this.inspector.send('HeapProfiler.collectGarbage')
    return this.usage()
  }

  close(): void {
    this.inspector.close()
  }
}
