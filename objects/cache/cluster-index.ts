import { DurableObject } from 'cloudflare:workers'
import type { ObjectBindings } from '../env.ts'
import { CACHE_IDENTITY } from '../../protocol/api/identities.ts'
import type { ListQuery } from '../../protocol/api/steve/index.ts'
import { KubeClient, type ResourceType } from '../../protocol/kube/index.ts'
import { tunnelTransport, type TunnelTarget } from '../tunnel/envelope.ts'
import { ChangeStreams, MAX_REPLAY } from './change-streams.ts'
import { ListCache, typeKey, type CacheStatus, type ChangesAnswer, type ListAnswer, type TypeStatus } from './list-cache.ts'
import { IndexSql } from './sql.ts'

/** How often housekeeping runs while types are cached: idle types dropped, change logs trimmed, feeds resumed. */
export const HOUSEKEEPING_MS = 60_000

/**
 * One per cluster (`idFromName(clusterId)`): a Steve-shaped index of the cluster's objects in this
 * object's SQLite, filled by a paged LIST and kept by WATCH through the cluster's tunnel as the cache's
 * own identity (CACHE_IDENTITY), with nothing stored in the agent. The worker authenticates callers
 * and decides where each may see objects (the namespaces it passes); this object only answers from what
 * it holds. The logic lives in ListCache; this class turns RPC calls and alarms into its calls.
 *
 * Feeds run while the object is in memory; the alarm wakes it every HOUSEKEEPING_MS while any type is
 * cached, so an evicted object resumes its watches from the revisions it stored.
 */
export class ClusterIndex extends DurableObject<ObjectBindings> {
  private cache?: ListCache
  private alarmSet = false
  private readonly streams = new ChangeStreams()

  /** Where this object sends its envelopes for `cluster`: that cluster's tunnel object. */
  protected tunnel(cluster: string): TunnelTarget {
    return this.env.TUNNEL.get(this.env.TUNNEL.idFromName(cluster))
  }

  private cacheFor(cluster: string): ListCache {
    const cache = this.open(cluster)
    this.keepAlarm()
    return cache
  }

  private open(cluster?: string): ListCache {
    const kv = this.ctx.storage.kv
    let id = kv.get<string>('cluster')
    if (id === undefined && cluster !== undefined) {
      kv.put('cluster', cluster)
      id = cluster
    }
    if (id === undefined) throw new Error('this list index has not been used for a cluster yet')
    if (cluster !== undefined && cluster !== id) throw new Error(`this list index serves cluster ${id}, not ${cluster}`)
    if (!this.cache) {
      const sql = new IndexSql(this.ctx.storage.sql, (fn) => this.ctx.storage.transactionSync(fn))
      const target = id
      this.cache = new ListCache({
        sql,
        client: () => new KubeClient(tunnelTransport(this.tunnel(target), target, CACHE_IDENTITY)),
        now: Date.now,
        onChange: (type, change) => this.streams.publish(typeKey(type), change),
      })
      this.cache.resume()
    }
    return this.cache
  }

  private keepAlarm(): void {
    if (this.alarmSet) return
    this.alarmSet = true
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null) return this.ctx.storage.setAlarm(Date.now() + HOUSEKEEPING_MS)
    })
  }

  /** A page of `type` from the index for a caller who may see `namespaces`; `uncached` until it is listed. */
  list(cluster: string, type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[], waitMs = 0): Promise<ListAnswer> {
    return this.cacheFor(cluster).list(type, query, namespaces, waitMs)
  }

  /** As `list`, but only for a type already fed: `uncached` otherwise, and nothing starts feeding. */
  listIfHeld(cluster: string, type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[]): Promise<ListAnswer> {
    return this.cacheFor(cluster).listIfHeld(type, query, namespaces)
  }

  /** Starts feeding `type` (if it is not fed yet) and waits up to `waitMs` for its first list. */
  warm(cluster: string, type: ResourceType, waitMs: number): Promise<TypeStatus> {
    return this.cacheFor(cluster).warm(type, waitMs)
  }

  /** Changes of `type` after revision `since` (subscribe resumes), or `too-old`. */
  changes(cluster: string, type: ResourceType, since: string, limit = 1000): ChangesAnswer {
    return this.cacheFor(cluster).changes(type, since, Math.min(Math.max(1, limit), 10_000))
  }

  /**
   * `type`'s changes as they are stored, as newline-delimited JSON (change-streams.ts), for a live
   * subscription: from now on, or after revision `since` (a resume). A resume waits up to `waitMs` for a
   * type not listed yet; a revision older than the change log holds is answered "too old".
   */
  async changeStream(cluster: string, type: ResourceType, since: string | undefined, waitMs = 10_000): Promise<ReadableStream<Uint8Array>> {
    const cache = this.cacheFor(cluster)
    if (since !== undefined) await cache.warm(type, waitMs)
    else cache.ensure(type)
    return this.streams.open(
      typeKey(type),
      since === undefined
        ? undefined
        : () => {
            const answer = cache.changes(type, since, MAX_REPLAY + 1)
            if (answer.kind === 'changes' && answer.changes.length <= MAX_REPLAY) return { kind: 'changes', changes: answer.changes }
            return { kind: 'too-old', oldest: answer.kind === 'too-old' ? answer.oldest : answer.kind === 'changes' ? answer.revision : since }
          },
    )
  }

  /** The types cached, their feeds, and the storage they take (bytes per object). */
  status(cluster: string): CacheStatus {
    return this.cacheFor(cluster).status()
  }

  override async alarm(): Promise<void> {
    this.alarmSet = false
    if (this.ctx.storage.kv.get<string>('cluster') === undefined) return
    if (this.open().housekeeping()) {
      this.alarmSet = true
      await this.ctx.storage.setAlarm(Date.now() + HOUSEKEEPING_MS)
    }
  }
}
