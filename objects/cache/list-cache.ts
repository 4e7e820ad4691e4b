// The list cache of one cluster: which types it feeds, and the answers it gives from them. A type is
// fed from its first query on and kept warm while it is asked for; types unused for IDLE_MS are
// dropped, and at most MAX_TYPES are kept (the least recently used one goes first). Answers come from
// SQLite alone; a type not listed yet, or refused for having too many objects, is `uncached`, and the
// edge answers it through the tunnel.
import { continueToken, type ListQuery, type SteveErrorBody, type SummaryEntry } from '../../protocol/api/steve/index.ts'
import { isSteveError, SteveError } from '../../protocol/api/steve/error.ts'
import { isNamespaceType, NAMESPACE, type KubeClient, type ResourceType } from '../../protocol/kube/index.ts'
import { Feeder, FEEDER_DEFAULTS, type FeederOptions, type FeederStatus } from './feeder.ts'
import { isIndexed } from './record.ts'
import { isRedacted } from './redact.ts'
import type { IndexSql, Translation, TypeRow } from './sql.ts'
import type { TableColumn } from './table.ts'
import { revisionNumber, TypeIndex, type Change } from './type-index.ts'
import { typeId } from '../../protocol/api/steve/types.ts'

export const MAX_TYPES = 32
export const IDLE_MS = 30 * 60_000
/** Subscribe resumes are possible within this window (and the newest MAX_CHANGES of a type). */
export const CHANGE_RETENTION_MS = 15 * 60_000
export const MAX_CHANGES = 10_000
/** Rows in an answer that asked for no page size or limit (Steve pages such lists too). */
export const MAX_ROWS = 10_000
/** A type's last use is written at most this often (a query is a read, not a write, nearly always). */
const TOUCH_MS = 60_000

export interface CacheHost {
  sql: IndexSql
  /** The cluster's API as the cache's own identity. */
  client: () => KubeClient
  now: () => number
  feeder?: FeederOptions
  /** Every stored change of every type (live subscriptions). */
  onChange?: (type: ResourceType, change: Change) => void
}

/** One object of an answer, as stored: JSON text, parsed once by whoever formats it (not in this object). */
export interface CachedItem {
  id: string
  /** The stored object (redacted for some types: `CachedList.redacted`). */
  object: string
  /** The Table row's cells (`metadata.fields`), when the apiserver printed the object. */
  cells: string | null
}

export interface CachedList {
  kind: 'list'
  items: CachedItem[]
  count: number
  pages: number | undefined
  continue: string | undefined
  revision: string
  summary: SummaryEntry[] | undefined
  columns: TableColumn[] | undefined
  /** Objects of this type are stored without their secret values (redact.ts): never a basis for a write. */
  redacted: boolean
}

export type ListAnswer = CachedList | ({ kind: 'uncached' } & FeederStatus) | { kind: 'error'; error: SteveErrorBody }

export type ChangesAnswer =
  | { kind: 'changes'; changes: Change[]; revision: string }
  | { kind: 'too-old'; oldest: string }
  | { kind: 'not-cached' }

export interface TypeStatus extends FeederStatus {
  type: string
  listed: boolean
  revision: string | undefined
  objects: number
  bytes: number
  changes: number
}

export interface CacheStatus {
  types: TypeStatus[]
  objects: number
  /** Bytes of stored rows per object (JSON, cells, state, index entries), estimated from their lengths. */
  bytesPerObject: number
  /** The whole database file per object, as SQLite reports its size. */
  databaseBytesPerObject: number
  databaseBytes: number
}

interface Feed {
  index: TypeIndex
  feeder: Feeder
}

/** What SQL needs to know of a type (its row id, and the namespaces type's for `projectsornamespaces`). */
export function translationOf(type: ResourceType, rowId: number, namespaces: 'all' | readonly string[], namespaceType: number | undefined): Translation {
  return {
    type: rowId,
    typeId: typeId(type.group, type.kind),
    indexed: (path) => isIndexed(type, path),
    namespaces,
    projects: isNamespaceType(type) ? { namespaces: true } : { namespaces: false, namespaceType },
  }
}

/**
 * The rows a query asks for and what the collection says about them: `page` counts in pages of the
 * smaller of `pagesize` and `limit` from the `continue` offset; an answer that asked for neither holds at
 * most MAX_ROWS rows and offers `continue` for the rest.
 */
export function answerPage(sql: IndexSql, t: Translation, query: ListQuery): Pick<CachedList, 'items' | 'count' | 'pages' | 'continue' | 'summary'> {
  const asked = Math.min(query.pageSize ?? Infinity, query.limit ?? Infinity)
  const bounded = Number.isFinite(asked)
  const size = bounded ? asked : MAX_ROWS
  const offset = (query.continueOffset ?? 0) + (bounded ? (query.page - 1) * size : 0)
  const page = sql.page(t, query, { offset, limit: size })
  return {
    items: page.rows,
    count: page.count,
    pages: query.pageSize === undefined ? undefined : Math.ceil(page.count / query.pageSize),
    continue: offset + page.rows.length < page.count ? continueToken(offset + size) : undefined,
    summary: page.summary,
  }
}

export function typeKey(t: Pick<ResourceType, 'group' | 'version' | 'plural'>): string {
  return `${t.group}/${t.version}/${t.plural}`
}

const specOf = (t: ResourceType): ResourceType => ({ group: t.group, version: t.version, plural: t.plural, kind: t.kind, namespaced: t.namespaced })

export class ListCache {
  private readonly feeds = new Map<string, Feed>()

  constructor(private readonly host: CacheHost) {}

  /** Feeds every type stored (after the object was evicted, or at its first call). */
  resume(): void {
    for (const row of this.host.sql.types()) this.feed(row, JSON.parse(row.spec) as ResourceType)
  }

  /** Starts feeding `type` if it is not fed yet, and marks it used. */
  ensure(type: ResourceType): Feed {
    const key = typeKey(type)
    const now = this.host.now()
    let row = this.host.sql.type(key)
    if (!row) {
      const types = this.host.sql.types()
      if (types.length >= MAX_TYPES) {
        const oldest = types.reduce((a, b) => (b.used_at < a.used_at ? b : a))
        this.drop(oldest)
      }
      row = this.host.sql.addType(key, JSON.stringify(specOf(type)), now)
    } else if (now - row.used_at > TOUCH_MS) {
      this.host.sql.touchType(row.id, now)
    }
    return this.feed(row, specOf(type))
  }

  private feed(row: TypeRow, type: ResourceType): Feed {
    const known = this.feeds.get(row.key)
    if (known) return known
    const index = new TypeIndex(this.host.sql, row, type, this.host.now, (change) => this.host.onChange?.(type, change))
    const feed = { index, feeder: new Feeder(index, this.host.client, this.host.feeder ?? FEEDER_DEFAULTS).start() }
    this.feeds.set(row.key, feed)
    return feed
  }

  private drop(row: TypeRow): void {
    this.feeds.get(row.key)?.feeder.stop()
    this.feeds.delete(row.key)
    this.host.sql.dropType(row.id)
  }

  /** Starts feeding and waits up to `waitMs` for the first list. */
  async warm(type: ResourceType, waitMs: number): Promise<TypeStatus> {
    const feed = this.ensure(type)
    await feed.feeder.listed(waitMs)
    return this.typeStatus(feed, this.host.sql.type(typeKey(type)) as TypeRow)
  }

  /**
   * One page of `type` for a caller who may see `namespaces` (every one, or these). `waitMs`: how long
   * a type not listed yet may be waited for before answering `uncached`.
   */
  async list(type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[], waitMs = 0): Promise<ListAnswer> {
    return this.answerFrom(this.ensure(type), type, query, namespaces, waitMs)
  }

  /**
   * The same answer for a type only if it is fed already: nothing starts feeding (a question about every
   * type, as `/v1/counts` asks, must not push the types people list out of the cache).
   */
  async listIfHeld(type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[]): Promise<ListAnswer> {
    const feed = this.feeds.get(typeKey(type))
    if (!feed) return { kind: 'uncached', state: 'stopped', error: undefined, lists: 0 }
    return this.answerFrom(feed, type, query, namespaces, 0)
  }

  private async answerFrom(feed: Feed, type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[], waitMs: number): Promise<ListAnswer> {
    const nsFeed = query.projectsOrNamespaces && !isNamespaceType(type) ? this.ensure(NAMESPACE) : undefined
    if (waitMs > 0) await Promise.all([feed.feeder.listed(waitMs), nsFeed?.feeder.listed(waitMs)])
    if (!feed.index.listed) return { kind: 'uncached', ...feed.feeder.status() }
    if (nsFeed && !nsFeed.index.listed) return { kind: 'uncached', ...nsFeed.feeder.status() }
    const revision = feed.index.revision ?? ''
    try {
      if (query.revision !== undefined && BigInt(query.revision) > BigInt(revisionNumber(revision))) {
        throw SteveError.of('BadRequest', `unknown revision ${query.revision}: the newest this cache has is ${revision}`, 'revision')
      }
      return this.answer(feed, type, query, namespaces, nsFeed, revision)
    } catch (e) {
      if (isSteveError(e)) return { kind: 'error', error: e.body() }
      throw e
    }
  }

  private answer(feed: Feed, type: ResourceType, query: ListQuery, namespaces: 'all' | readonly string[], nsFeed: Feed | undefined, revision: string): CachedList {
    const t = translationOf(type, feed.index.row.id, namespaces, nsFeed?.index.row.id)
    return { kind: 'list', ...answerPage(this.host.sql, t, query), revision, columns: feed.index.columns(), redacted: isRedacted(type) }
  }

  /** What changed in `type` after revision `since`, for a subscribe resume. */
  changes(type: ResourceType, since: string, limit: number): ChangesAnswer {
    const row = this.host.sql.type(typeKey(type))
    if (!row || row.listed !== 1) return { kind: 'not-cached' }
    if (!/^[0-9]{1,15}$/.test(since) || Number(since) < row.log_floor) return { kind: 'too-old', oldest: String(row.log_floor) }
    const changes = this.host.sql.changesSince(row.id, Number(since), limit).map((c) => ({
      kind: c.kind,
      revision: String(c.rv),
      id: c.id,
      namespace: c.namespace ?? undefined,
      object: c.object,
      cells: c.cells,
    }))
    return { kind: 'changes', changes, revision: row.revision ?? '' }
  }

  /** Drops idle types, trims change logs, feeds what is stored. True while any type is cached. */
  housekeeping(): boolean {
    const now = this.host.now()
    for (const row of this.host.sql.types()) {
      if (row.used_at < now - IDLE_MS) {
        this.drop(row)
        continue
      }
      this.host.sql.trimChanges(row.id, now - CHANGE_RETENTION_MS, MAX_CHANGES)
    }
    this.resume()
    return this.feeds.size > 0
  }

  status(): CacheStatus {
    const stats = new Map(this.host.sql.stats().map((s) => [s.type, s]))
    const types = this.host.sql.types().map((row) => {
      const feed = this.feeds.get(row.key)
      return feed ? this.typeStatus(feed, row, stats.get(row.key)) : undefined
    })
    const known = types.filter((t): t is TypeStatus => t !== undefined)
    const objects = known.reduce((n, t) => n + t.objects, 0)
    const bytes = known.reduce((n, t) => n + t.bytes, 0)
    const databaseBytes = this.host.sql.databaseSize
    return {
      types: known,
      objects,
      bytesPerObject: objects ? Math.round(bytes / objects) : 0,
      databaseBytesPerObject: objects ? Math.round(databaseBytes / objects) : 0,
      databaseBytes,
    }
  }

  private typeStatus(feed: Feed, row: TypeRow, stats = this.host.sql.stats().find((s) => s.type === row.key)): TypeStatus {
    return {
      type: row.key,
      listed: row.listed === 1,
      revision: row.revision ?? undefined,
      objects: stats?.objects ?? 0,
      bytes: stats?.bytes ?? 0,
      changes: stats?.changes ?? 0,
      ...feed.feeder.status(),
    }
  }

  stop(): void {
    for (const feed of this.feeds.values()) feed.feeder.stop()
    this.feeds.clear()
  }
}
