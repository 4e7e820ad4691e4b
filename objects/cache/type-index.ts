// One cached type's index: what a list page, a watch event or a bookmark does to the stored rows and
// the change log. Each page and each event is one transaction, so a reader sees an object wholly old
// or wholly new, and the type's revision never runs ahead of the rows it describes.
import type { ResourceType } from '../../protocol/kube/index.ts'
import { recordOf } from './record.ts'
import type { ChangeKind, IndexSql, TypeRow } from './sql.ts'
import type { Row, TableColumn, TableEvent, TablePage } from './table.ts'

/** A change as subscribers and resumes see it. */
export interface Change {
  kind: ChangeKind
  /** The revision it happened at (a re-list's removals: the list's). */
  revision: string
  id: string
  namespace: string | undefined
  /** The stored object and its cells (JSON). */
  object: string
  cells: string | null
}

/** A resourceVersion as the change log orders it; Kubernetes' are decimal etcd revisions. */
export function revisionNumber(rv: string): number {
  return /^[0-9]{1,15}$/.test(rv) ? Number(rv) : 0
}

export class TypeIndex {
  /** Objects stored, counted once and then kept by each create and remove. */
  private objects: number | undefined

  constructor(
    private readonly sql: IndexSql,
    readonly row: Pick<TypeRow, 'id' | 'key'>,
    readonly type: ResourceType,
    private readonly now: () => number,
    /** Told every change after it is stored (live subscriptions hook in here). */
    private readonly onChange: (change: Change) => void = () => {},
  ) {}

  private current(): TypeRow | undefined {
    return this.sql.type(this.row.key)
  }

  /** True once a full list has been applied: the index can answer. */
  get listed(): boolean {
    return this.current()?.listed === 1
  }

  get revision(): string | undefined {
    return this.current()?.revision ?? undefined
  }

  /** Why the type is not kept (too many objects), if it is not. */
  get refused(): string | undefined {
    return this.current()?.refused ?? undefined
  }

  get size(): number {
    this.objects ??= this.sql.count(this.row.id)
    return this.objects
  }

  /** Drops the type's objects and keeps none until the type is dropped as idle. */
  refuse(reason: string): void {
    this.sql.transaction(() => this.sql.refuseType(this.row.id, reason))
    this.objects = 0
  }

  beginList(): number {
    return this.sql.beginList(this.row.id)
  }

  /** One LIST page; changes are logged only once the type has been listed before (a re-list). */
  applyPage(gen: number, page: TablePage): void {
    const log = this.listed
    this.sql.transaction(() => {
      if (page.columns) this.sql.setColumns(this.row.id, JSON.stringify(page.columns))
      for (const row of page.rows) this.put(row, gen, log)
    })
  }

  /** The list is complete at `revision`: what it did not see is gone. Returns how many were removed. */
  finishList(gen: number, revision: string): number {
    const first = !this.listed
    return this.sql.transaction(() => {
      const removed = this.sql.finishList(this.row.id, gen, revision, (gone) => {
        if (!first) this.record({ kind: 'remove', revision, id: gone.id, namespace: gone.namespace ?? undefined, object: gone.object, cells: gone.cells })
      })
      // Nothing before the first full list can be replayed.
      if (first) this.sql.setLogFloor(this.row.id, revisionNumber(revision))
      this.objects = undefined
      return removed
    })
  }

  event(ev: TableEvent): void {
    this.sql.transaction(() => {
      if (ev.type === 'BOOKMARK') {
        this.sql.setRevision(this.row.id, ev.resourceVersion)
        return
      }
      if (ev.columns) this.sql.setColumns(this.row.id, JSON.stringify(ev.columns))
      const rv = typeof ev.row.object.metadata === 'object' ? String((ev.row.object.metadata as { resourceVersion?: unknown }).resourceVersion ?? '') : ''
      if (ev.type === 'DELETED') {
        const rec = recordOf(this.type, ev.row.object, ev.row.cells, this.now())
        const gone = this.sql.remove(this.row.id, rec.id)
        if (gone && this.objects !== undefined) this.objects--
        if (gone) this.record({ kind: 'remove', revision: rv, id: rec.id, namespace: rec.namespace ?? undefined, object: rec.object, cells: rec.cells })
      } else {
        const gen = this.current()?.gen ?? 0
        this.put(ev.row, gen, true)
      }
      if (rv) this.sql.setRevision(this.row.id, rv)
    })
  }

  private put(row: Row, gen: number, log: boolean): void {
    const rec = recordOf(this.type, row.object, row.cells, this.now())
    const outcome = this.sql.upsert(this.row.id, rec, gen)
    if (outcome === 'create' && this.objects !== undefined) this.objects++
    if (outcome === 'same' || !log) return
    this.record({ kind: outcome, revision: rec.resourceVersion, id: rec.id, namespace: rec.namespace ?? undefined, object: rec.object, cells: rec.cells })
  }

  private record(change: Change): void {
    this.sql.logChange(this.row.id, change.kind, revisionNumber(change.revision), this.now(), change.id, change.namespace ?? null, change.cells, change.object)
    this.onChange(change)
  }

  columns(): TableColumn[] | undefined {
    const json = this.current()?.columns
    return json ? (JSON.parse(json) as TableColumn[]) : undefined
  }
}
