import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { Backoff } from '../../node/backoff.ts'
import { kindPath, listAll } from './kube.ts'
import { errorText } from '../../node/log.ts'
import type { Cache, Clock, Kind, HasMeta } from './types.ts'

export type InformerEvent = 'add' | 'update' | 'delete'
export type InformerHandler<T> = (obj: T, event: InformerEvent) => void

/**
 * One kind's list+watch cache, on client-node's ListWatch, made to keep going:
 * - a 410 Gone (watch too old) relists — ListWatch does that itself by clearing its resourceVersion;
 * - any other error (list failed, watch refused, connection reset) restarts it after a capped,
 *   jittered backoff instead of leaving it stopped, which is what ListWatch alone would do;
 * - watches carry `timeoutSeconds` (5–10 min, like client-go) so the server ends them and a half-open
 *   connection cannot leave the cache silently stale, and bookmarks keep the resourceVersion fresh.
 * `synced()` turns true after the first full list and stays true: a relist updates the cache in place.
 */
export class Informer<T extends HasMeta = HasMeta> implements Cache<T> {
  // ListWatch stores the objects as they came off the wire (JSON, timestamps as strings): T is that shape.
  private readonly lw: ListWatch<KubernetesObject>
  private readonly handlers = new Set<InformerHandler<T>>()
  private readonly backoff: Backoff
  private hasSynced = false
  private running = false
  private restartTimer: unknown

  constructor(
    kc: KubeConfig,
    readonly kind: Kind,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.backoff = new Backoff(clock)
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300)
    const path = `${kindPath(kind)}?timeoutSeconds=${timeoutSeconds}&allowWatchBookmarks=true`
    const list = () => listAll<KubernetesObject>(kc, kind, AbortSignal.timeout(60_000))
    this.lw = new ListWatch<KubernetesObject>(path, new Watch(kc), list, false)
    this.lw.on('add', (o) => this.emit(o as T, 'add'))
    this.lw.on('update', (o) => this.emit(o as T, 'update'))
    this.lw.on('delete', (o) => this.emit(o as T, 'delete'))
    this.lw.on('error', (err) => this.onError(err))
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.launch()
  }

  stop(): void {
    this.running = false
    this.clock.clearTimeout(this.restartTimer)
    void this.lw.stop()
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, this.kind.namespaced ? namespace : undefined) as T | undefined
  }

  list(namespace?: string): T[] {
    return [...this.lw.list(namespace)] as T[]
  }

  synced(): boolean {
    // The list's resourceVersion is set right after its items are stored; a 410 clears it again, but
    // the cache it filled is still there, so synced stays true.
    if (!this.hasSynced && this.lw.latestResourceVersion() !== '') this.hasSynced = true
    return this.hasSynced
  }

  /** Called for every change, on every replica; returns the unsubscribe function. */
  onChange(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  }

  private launch(): void {
    this.lw.start().catch((e: unknown) => this.onError(e))
  }

  private onError(err: unknown): void {
    // ListWatch reports the abort of its own watch request when stopped; that is not a failure.
    if (!this.running) return
    const delay = this.backoff.next()
    this.logger.warn({ kind: kindPath(this.kind), err: errorText(err), retryInMs: Math.round(delay) }, 'informer failed; restarting')
    this.clock.clearTimeout(this.restartTimer)
    this.restartTimer = this.clock.setTimeout(() => {
      if (this.running) this.launch()
    }, delay)
  }

  private emit(obj: T, event: InformerEvent): void {
    for (const h of this.handlers) {
      try {
        h(obj, event)
      } catch (e) {
        this.logger.error({ kind: kindPath(this.kind), err: errorText(e) }, 'informer handler threw')
      }
    }
  }
}
