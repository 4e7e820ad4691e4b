import type { Logger } from 'pino'
import { describeObject, isGone, type KubeClient, type KubeObject, type ResourceType } from '../../protocol/kube/index.ts'
import { Backoff } from '../../node/backoff.ts'
import { sleep } from './leader-election.ts'
import { errorText } from '../../node/log.ts'
import type { Cache, Clock } from './types.ts'

export type InformerEvent = 'add' | 'update' | 'delete'
export type InformerHandler<T> = (obj: T, event: InformerEvent) => void

/** One list (all its pages) that takes longer has failed, and is retried with backoff. */
const LIST_TIMEOUT_MS = 60_000
/** Past the server's own timeoutSeconds: a watch still open by then sits on a dead connection. */
const WATCH_GRACE_MS = 60_000

/**
 * One resource type's list+watch cache, on the protocol/kube client, client-go's reflector in small:
 * - list (paged), then watch from the list's resourceVersion with bookmarks, so the version to resume
 *   from stays fresh even when nothing changes;
 * - each watch asks the server to end it after 300–600 s (jittered, so informers do not reconnect in
 *   step) and is given up client-side a minute after that, so a half-open connection cannot leave the
 *   cache silently stale; a watch that ends resumes from the last version seen;
 * - 410 Gone (that version is compacted away) relists at once; any other error (list failed, watch
 *   refused, connection reset) retries after a capped, jittered backoff, resuming where it was;
 * - a relist replaces the store in one step and tells the handlers what changed (add, update, delete),
 *   so an object deleted while the watch was down is not kept forever.
 * `synced()` turns true after the first full list and stays true.
 */
export class Informer<T extends KubeObject = KubeObject> implements Cache<T> {
  private store = new Map<string, T>()
  private readonly handlers = new Set<InformerHandler<T>>()
  private readonly backoff: Backoff
  /** The version to resume watching from; '' means list first. */
  private resourceVersion = ''
  private hasSynced = false
  private stopper: AbortController | undefined
  private loop: Promise<void> | undefined

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.backoff = new Backoff(clock, { random })
  }

  start(): void {
    if (this.stopper) return
    this.stopper = new AbortController()
    this.loop = this.run(this.stopper.signal)
  }

  /** Ends the watch; resolves once the loop has stopped. The cache keeps what it has. */
  async stop(): Promise<void> {
    this.stopper?.abort()
    this.stopper = undefined
    await this.loop
  }

  get(name: string, namespace?: string): T | undefined {
    return this.store.get(this.key(name, namespace))
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()]
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace)
  }

  synced(): boolean {
    return this.hasSynced
  }

  /** Called for every change, on every replica; returns the unsubscribe function. */
  onChange(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  }

  private async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      try {
        if (!this.resourceVersion) await this.relist(stop)
        await this.watch(stop)
      } catch (e) {
        if (stop.aborted) return
        if (isGone(e)) {
          this.logger.info({ type: this.type.plural }, 'watch expired; relisting')
          this.resourceVersion = ''
          continue
        }
        const delay = this.backoff.next()
        this.logger.warn({ type: this.type.plural, err: errorText(e), retryInMs: Math.round(delay) }, 'informer failed; restarting')
        await sleep(this.clock, delay, stop)
      }
    }
  }

  private async relist(stop: AbortSignal): Promise<void> {
    const list = await this.client.list<T>(this.type, { signal: AbortSignal.any([stop, AbortSignal.timeout(LIST_TIMEOUT_MS)]) })
    if (stop.aborted) return
    const rv = list.metadata.resourceVersion
    if (!rv) throw new Error(`the list of ${this.type.plural} carries no resourceVersion to watch from`)
    const prev = this.store
    const next = new Map(list.items.map((o) => [this.keyOf(o), o]))
    this.store = next
    this.resourceVersion = rv
    this.hasSynced = true
    for (const [k, o] of next) {
      const old = prev.get(k)
      if (!old) this.emit(o, 'add')
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit(o, 'update')
    }
    for (const [k, o] of prev) if (!next.has(k)) this.emit(o, 'delete')
  }

  private async watch(stop: AbortSignal): Promise<void> {
    const timeoutSeconds = 300 + Math.floor(this.random() * 301)
    const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutSeconds * 1000 + WATCH_GRACE_MS)])
    const events = this.client.watch<T>(this.type, { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds, signal })
    for await (const ev of events) {
      if (stop.aborted) return
      const rv = ev.object.metadata?.resourceVersion
      if (ev.type !== 'BOOKMARK') {
        const key = this.keyOf(ev.object)
        if (ev.type === 'DELETED') {
          this.store.delete(key)
          this.emit(ev.object, 'delete')
        } else {
          const had = this.store.has(key)
          this.store.set(key, ev.object)
          this.emit(ev.object, had ? 'update' : 'add')
        }
      }
      if (rv) this.resourceVersion = rv
    }
  }

  private key(name: string, namespace: string | undefined): string {
    return this.type.namespaced ? `${namespace ?? ''}/${name}` : name
  }

  private keyOf(o: T): string {
    return this.key(o.metadata.name ?? '', o.metadata.namespace)
  }

  private emit(obj: T, event: InformerEvent): void {
    for (const h of this.handlers) {
      try {
        h(obj, event)
      } catch (e) {
        this.logger.error({ object: describeObject(this.type, obj.metadata.name ?? '', obj.metadata.namespace), err: errorText(e) }, 'informer handler threw')
      }
    }
  }
}
