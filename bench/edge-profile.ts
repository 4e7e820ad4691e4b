/**
 * CPU profiles of the edge's JavaScript through workerd's V8 inspector (the Chrome DevTools protocol), for
 * bench:proxy's per-hop breakdown. `startLocalEdge({ inspectorPort })` opens the inspector and bundles the
 * worker with an inline source map, so every sample's function maps back to its source file; self time is
 * then summed per area (the stateless worker, the tunnel object, libraries, the runtime's built-ins).
 *
 * Miniflare runs its own entry worker (`core:entry`) in front of ours (`core:user:`); it does not exist in
 * production, so it is profiled separately and reported as its own line.
 */
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import WebSocket from 'ws'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/** One inspector connection to one workerd worker, speaking just enough CDP for profiles and heap figures. */
export class Inspector {
  private next = 1
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly scripts = new Map<string, string>()

  private constructor(private ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { scriptId: string; sourceMapURL?: string } }
      if (msg.method === 'Debugger.scriptParsed' && msg.params?.sourceMapURL) this.scripts.set(msg.params.scriptId, msg.params.sourceMapURL)
      if (msg.id === undefined) return
      const p = this.pending.get(msg.id)
      this.pending.delete(msg.id)
      if (msg.error) p?.reject(new Error(msg.error.message))
      else p?.resolve(msg.result)
    })
    // A second client on the same worker ends this session (workerd 1.2026): its calls must not hang.
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('the inspector session closed (another client took it?)'))
      this.pending.clear()
    })
  }

  static open(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(new Inspector(ws)))
      ws.once('error', reject)
    })
  }

  send<T>(method: string, params: object = {}): Promise<T> {
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.ws.send(JSON.stringify({ id, method, params }))
    })
  }

  close(): void {
    this.ws.close()
  }
}

/** Where a sample's time went: a source area of the edge, or a runtime bucket. */
export type Area = string

export interface EdgeProfile {
  /** µs of self time per area, over the whole profile (idle excluded). */
  byArea: Map<Area, number>
  /** The hottest functions: "name (file:line)" and µs of self time. */
  top: [string, number][]
  /** µs the profiled isolate was busy (all samples but "(idle)"). */
  busyUs: number
}

/** Source files to an area of the edge; the rest are named by library or runtime bucket. */
function areaOf(source: string | undefined, functionName: string): Area {
  if (!source) return functionName.startsWith('(') ? `runtime ${functionName}` : 'runtime (built-ins, no source)'
  const s = source.replace(/^.*?(node_modules\/|workers\/|objects\/|protocol\/|test\/)/, '$1')
  if (s.startsWith('node_modules/')) return `lib ${s.split('/')[1]!.startsWith('@') ? s.split('/').slice(1, 3).join('/') : s.split('/')[1]}`
  if (s.startsWith('objects/tunnel/') || s.startsWith('protocol/tunnel/')) return 'tunnel object (objects/tunnel, protocol/tunnel)'
  if (s.startsWith('workers/identity/')) return 'worker: identity'
  if (s.startsWith('workers/')) return 'worker: routing and proxy'
  if (s.startsWith('objects/')) return 'other objects'
  return `other ${s.split('/').slice(0, 2).join('/')}`
}

function summarize(profile: Profile, maps: Map<string, TraceMap>): EdgeProfile {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // A sample's time is the gap to the next one (the last sample gets the mean).
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? (profile.endTime - profile.startTime) / Math.max(1, samples.length)
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt)
  }
  const byArea = new Map<Area, number>()
  const byFn = new Map<string, number>()
  let busyUs = 0
  for (const [id, us] of selfUs) {
    const { functionName, scriptId, lineNumber, columnNumber } = byNode.get(id)!.callFrame
    if (functionName === '(idle)') continue
    busyUs += us
    const map = maps.get(scriptId)
    const pos = map && lineNumber >= 0 ? originalPositionFor(map, { line: lineNumber + 1, column: columnNumber }) : undefined
    const area = areaOf(pos?.source ?? undefined, functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
    const where = pos?.source ? ` (${pos.source.replace(/^.*?(node_modules\/|workers\/|objects\/|protocol\/)/, '$1')}:${pos.line})` : ''
    const key = `${functionName || '(anonymous)'}${where}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
  }
  const top = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 15)
  return { byArea, top, busyUs }
}

/** Starts profiling the workers named (`core:user:` is ours); `stop()` ends it and summarizes. */
export async function profileEdge(inspectorPort: number, workers: string[]): Promise<{ stop(): Promise<Map<string, EdgeProfile>> }> {
  const sessions = await Promise.all(
    workers.map(async (name) => {
      const inspector = await Inspector.open(`ws://127.0.0.1:${inspectorPort}/${name}`)
      await inspector.send('Debugger.enable')
      await inspector.send('Profiler.enable')
      await inspector.send('Profiler.setSamplingInterval', { interval: 200 })
      await inspector.send('Profiler.start')
      return { name, inspector }
    }),
  )
  return {
    async stop() {
      const out = new Map<string, EdgeProfile>()
      for (const { name, inspector } of sessions) {
        const { profile } = await inspector.send<{ profile: Profile }>('Profiler.stop')
        const maps = new Map<string, TraceMap>()
        for (const [scriptId, url] of inspector.scripts) {
          const m = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/.exec(url)
          if (m) maps.set(scriptId, new TraceMap(Buffer.from(m[1]!, 'base64').toString('utf8')))
        }
        await inspector.send('Debugger.disable').catch(() => {})
        inspector.close()
        out.set(name, summarize(profile, maps))
      }
      return out
    },
  }
}

/**
 * Lines for the bench's output: shares of the sampled JavaScript time, per worker, area and function. V8's
 * sampler cannot tell a workerd thread waiting on I/O from one running native code, so absolute sampled
 * times overstate CPU; the shares say where the edge's CPU (measured from /proc) goes.
 */
export function printEdgeProfile(phase: string, profiles: Map<string, EdgeProfile>, print: (line: string) => void): void {
  const total = [...profiles.values()].reduce((s, p) => s + p.busyUs, 0)
  const pct = (us: number, of: number) => `${((100 * us) / of).toFixed(0)}%`
  for (const [name, p] of profiles) {
    const label = name === 'core:user:' ? 'drover worker + objects' : `${name} (Miniflare's entry worker, absent in production)`
    print(`${phase} edge JS profile, ${label}: ${pct(p.busyUs, total)} of sampled edge JS`)
    if (name !== 'core:user:') continue
    const areas = [...p.byArea].sort((a, b) => b[1] - a[1]).filter(([, us]) => us / p.busyUs >= 0.01)
    print(`    by area: ${areas.map(([a, us]) => `${a} ${pct(us, p.busyUs)}`).join('; ')}`)
    print(`    hottest: ${p.top.slice(0, 12).map(([f, us]) => `${f} ${pct(us, p.busyUs)}`).join('; ')}`)
  }
}
