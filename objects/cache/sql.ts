// Every SQL statement of the list index, with bound parameters only: values reach SQLite as `?N`
// bindings, never as text of a statement (a query's field paths included — they are JSON paths bound
// like any value). What the statements mean is in the comments of the schema below.
import { badQuery, fieldPathText, PROJECT_LABEL, RESERVED_KEYS, type FieldPath, type Filter, type ListQuery } from '../../protocol/api/steve/index.ts'
import type { StoredRecord } from './record.ts'

/**
 * - `types`: one row per cached resource type (`group/version/plural`), its Table columns, the newest
 *   resourceVersion applied (`revision`), whether a full list has been applied (`listed`), the list
 *   generation (`gen`, to find what a re-list no longer has) and `log_floor`: a subscribe resume from
 *   a revision below it is too old; `refused` says why a type is not fed (too many objects) until it is
 *   dropped as idle.
 * - `objects`: one row per object; `namespace` is NULL for cluster-scoped ones; `state_name` is
 *   `metadata.state.name`; `cells` the Table row's cells (JSON); `object` the stored object (JSON,
 *   redacted: redact.ts).
 * - `fields` and `facts`: the indexed fields (cells, labels, per-type paths) as one row per object and
 *   field; `value` keeps a JSON number a number (sort order), `num` and `ip` hold the text read as a
 *   number and as an IPv4 address.
 * - `changes`: the event log per type (create/change/remove with the revision and the object) that
 *   subscribe resumes replay; trimmed to a retention window.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS types (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, columns TEXT,
     revision TEXT, listed INTEGER NOT NULL DEFAULT 0, gen INTEGER NOT NULL DEFAULT 0, log_floor INTEGER NOT NULL DEFAULT 0,
     used_at INTEGER NOT NULL, refused TEXT)`,
  `CREATE TABLE IF NOT EXISTS objects (rowid INTEGER PRIMARY KEY, type INTEGER NOT NULL, id TEXT NOT NULL, namespace TEXT,
     name TEXT NOT NULL, created TEXT NOT NULL, state_name TEXT NOT NULL, state TEXT NOT NULL, rv TEXT NOT NULL,
     gen INTEGER NOT NULL, cells TEXT, object TEXT NOT NULL)`,
  'CREATE UNIQUE INDEX IF NOT EXISTS objects_id ON objects (type, id)',
  'CREATE INDEX IF NOT EXISTS objects_name ON objects (type, name, id)',
  'CREATE INDEX IF NOT EXISTS objects_namespace ON objects (type, namespace, name)',
  'CREATE INDEX IF NOT EXISTS objects_created ON objects (type, created)',
  'CREATE INDEX IF NOT EXISTS objects_state ON objects (type, state_name)',
  'CREATE TABLE IF NOT EXISTS fields (id INTEGER PRIMARY KEY, type INTEGER NOT NULL, path TEXT NOT NULL, UNIQUE (type, path))',
  `CREATE TABLE IF NOT EXISTS facts (obj INTEGER NOT NULL, field INTEGER NOT NULL, value ANY, num REAL, ip INTEGER,
     PRIMARY KEY (obj, field)) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS facts_value ON facts (field, value)',
  `CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, type INTEGER NOT NULL, rv INTEGER NOT NULL, kind TEXT NOT NULL,
     id TEXT NOT NULL, namespace TEXT, at INTEGER NOT NULL, cells TEXT, object TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS changes_type ON changes (type, seq)',
]

export interface TypeRow {
  id: number
  key: string
  spec: string
  columns: string | null
  revision: string | null
  listed: number
  refused: string | null
  gen: number
  log_floor: number
  used_at: number
}

export type ChangeKind = 'create' | 'change' | 'remove'

export interface ChangeRow {
  seq: number
  rv: number
  kind: ChangeKind
  id: string
  namespace: string | null
  cells: string | null
  object: string
}

/** A row of an answer page. */
export interface PageRow {
  id: string
  object: string
  cells: string | null
}

export interface TypeStats {
  type: string
  objects: number
  /** Bytes of the stored objects, cells and state (JSON text) and their indexed facts, estimated. */
  bytes: number
  facts: number
  changes: number
}

type Row = Record<string, SqlStorageValue>

/** Bytes per fact row and index entry, as SQLite lays them out (ids, a short value, page overhead). */
const FACT_BYTES = 40

export class IndexSql {
  private readonly fieldIds = new Map<string, number>()

  constructor(
    private readonly sql: SqlStorage,
    /** `ctx.storage.transactionSync`: one atomic write per page or event. */
    readonly transaction: <T>(fn: () => T) => T,
  ) {
    for (const statement of SCHEMA) sql.exec(statement)
  }

  private rows<T>(query: string, ...params: SqlStorageValue[]): T[] {
    return this.sql.exec<Row>(query, ...params).toArray() as T[]
  }

  private first<T>(query: string, ...params: SqlStorageValue[]): T | undefined {
    return this.rows<T>(query, ...params)[0]
  }

  // ---- types -------------------------------------------------------------------------------------

  type(key: string): TypeRow | undefined {
    return this.first<TypeRow>('SELECT * FROM types WHERE key = ?', key)
  }

  types(): TypeRow[] {
    return this.rows<TypeRow>('SELECT * FROM types ORDER BY id')
  }

  addType(key: string, spec: string, now: number): TypeRow {
    this.sql.exec('INSERT INTO types (key, spec, used_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', key, spec, now)
    return this.type(key) as TypeRow
  }

  touchType(id: number, now: number): void {
    this.sql.exec('UPDATE types SET used_at = ? WHERE id = ?', now, id)
  }

  setColumns(id: number, columns: string): void {
    this.sql.exec('UPDATE types SET columns = ? WHERE id = ? AND columns IS NOT ?', columns, id, columns)
  }

  setRevision(id: number, revision: string): void {
    this.sql.exec('UPDATE types SET revision = ? WHERE id = ?', revision, id)
  }

  /** A new list generation: objects not seen again by `finishList` are gone. */
  beginList(id: number): number {
    this.sql.exec('UPDATE types SET gen = gen + 1 WHERE id = ?', id)
    return (this.first<{ gen: number }>('SELECT gen FROM types WHERE id = ?', id) as { gen: number }).gen
  }

  /** Removes what the list of generation `gen` did not see and marks the type listed at `revision`. */
  finishList(id: number, gen: number, revision: string, logRemovals: (row: ChangeRow) => void): number {
    const gone = this.rows<{ rowid: number; id: string; namespace: string | null; cells: string | null; object: string }>(
      'SELECT rowid, id, namespace, cells, object FROM objects WHERE type = ? AND gen < ?',
      id,
      gen,
    )
    for (const row of gone) {
      logRemovals({ seq: 0, rv: 0, kind: 'remove', id: row.id, namespace: row.namespace, cells: row.cells, object: row.object })
      this.sql.exec('DELETE FROM facts WHERE obj = ?', row.rowid)
      this.sql.exec('DELETE FROM objects WHERE rowid = ?', row.rowid)
    }
    this.sql.exec('UPDATE types SET listed = 1, revision = ? WHERE id = ?', revision, id)
    return gone.length
  }

  /** The first full list: resumes from before it are too old. */
  setLogFloor(id: number, floor: number): void {
    this.sql.exec('UPDATE types SET log_floor = ? WHERE id = ?', floor, id)
  }

  /** Stops keeping a type's objects (it has too many), saying why, until the type is dropped. */
  refuseType(id: number, reason: string): void {
    this.clearType(id)
    this.sql.exec('UPDATE types SET refused = ?, listed = 0, revision = NULL WHERE id = ?', reason, id)
  }

  private clearType(id: number): void {
    this.sql.exec('DELETE FROM facts WHERE obj IN (SELECT rowid FROM objects WHERE type = ?)', id)
    this.sql.exec('DELETE FROM objects WHERE type = ?', id)
    this.sql.exec('DELETE FROM changes WHERE type = ?', id)
  }

  dropType(id: number): void {
    this.clearType(id)
    this.sql.exec('DELETE FROM fields WHERE type = ?', id)
    this.sql.exec('DELETE FROM types WHERE id = ?', id)
    for (const key of [...this.fieldIds.keys()]) if (key.startsWith(`${id}\u0000`)) this.fieldIds.delete(key)
  }

  // ---- objects -----------------------------------------------------------------------------------

  /** Writes one object; `same` when the stored one has this resourceVersion already (only its generation moves). */
  upsert(type: number, rec: StoredRecord, gen: number): 'create' | 'change' | 'same' {
    const current = this.first<{ rowid: number; rv: string }>('SELECT rowid, rv FROM objects WHERE type = ? AND id = ?', type, rec.id)
    if (current && current.rv === rec.resourceVersion && rec.resourceVersion !== '') {
      this.sql.exec('UPDATE objects SET gen = ? WHERE rowid = ?', gen, current.rowid)
      return 'same'
    }
    let rowid: number
    if (current) {
      rowid = current.rowid
      this.sql.exec(
        `UPDATE objects SET namespace = ?, name = ?, created = ?, state_name = ?, state = ?, rv = ?, gen = ?, cells = ?, object = ?
         WHERE rowid = ?`,
        rec.namespace, rec.name, rec.created, rec.stateName, rec.state, rec.resourceVersion, gen, rec.cells, rec.object, rowid,
      )
      this.sql.exec('DELETE FROM facts WHERE obj = ?', rowid)
    } else {
      const inserted = this.first<{ rowid: number }>(
        `INSERT INTO objects (type, id, namespace, name, created, state_name, state, rv, gen, cells, object)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid`,
        type, rec.id, rec.namespace, rec.name, rec.created, rec.stateName, rec.state, rec.resourceVersion, gen, rec.cells, rec.object,
      ) as { rowid: number }
      rowid = inserted.rowid
    }
    for (const fact of rec.facts) {
      this.sql.exec('INSERT INTO facts (obj, field, value, num, ip) VALUES (?, ?, ?, ?, ?)', rowid, this.fieldId(type, fact.path), fact.value, fact.num, fact.ip)
    }
    return current ? 'change' : 'create'
  }

  /** Deletes one object; what was stored, or undefined when there was nothing. */
  remove(type: number, id: string): { cells: string | null; object: string; namespace: string | null } | undefined {
    const row = this.first<{ rowid: number; cells: string | null; object: string; namespace: string | null }>(
      'SELECT rowid, cells, object, namespace FROM objects WHERE type = ? AND id = ?',
      type,
      id,
    )
    if (!row) return undefined
    this.sql.exec('DELETE FROM facts WHERE obj = ?', row.rowid)
    this.sql.exec('DELETE FROM objects WHERE rowid = ?', row.rowid)
    return row
  }

  count(type: number): number {
    return (this.first<{ n: number }>('SELECT count(*) AS n FROM objects WHERE type = ?', type) as { n: number }).n
  }

  private fieldId(type: number, path: string): number {
    const key = `${type}\u0000${path}`
    const known = this.fieldIds.get(key)
    if (known !== undefined) return known
    this.sql.exec('INSERT INTO fields (type, path) VALUES (?, ?) ON CONFLICT (type, path) DO NOTHING', type, path)
    const id = (this.first<{ id: number }>('SELECT id FROM fields WHERE type = ? AND path = ?', type, path) as { id: number }).id
    this.fieldIds.set(key, id)
    return id
  }

  /** The id of an indexed field, or undefined when no object of the type has had it. */
  knownFieldId(type: number, path: string): number | undefined {
    const key = `${type}\u0000${path}`
    const known = this.fieldIds.get(key)
    if (known !== undefined) return known
    const row = this.first<{ id: number }>('SELECT id FROM fields WHERE type = ? AND path = ?', type, path)
    if (row) this.fieldIds.set(key, row.id)
    return row?.id
  }

  // ---- the change log ----------------------------------------------------------------------------

  logChange(type: number, kind: ChangeKind, rv: number, at: number, id: string, namespace: string | null, cells: string | null, object: string): void {
    this.sql.exec('INSERT INTO changes (type, rv, kind, id, namespace, at, cells, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', type, rv, kind, id, namespace, at, cells, object)
  }

  /** Drops changes older than `before` (ms) and all but the newest `keep`; the floor rises to what was dropped. */
  trimChanges(type: number, before: number, keep: number): number {
    const cut = this.first<{ seq: number }>('SELECT seq FROM changes WHERE type = ? ORDER BY seq DESC LIMIT 1 OFFSET ?', type, keep)
    const drop = 'type = ? AND (at < ? OR seq <= ?)'
    const top = this.first<{ rv: number | null; n: number }>(`SELECT max(rv) AS rv, count(*) AS n FROM changes WHERE ${drop}`, type, before, cut?.seq ?? -1)
    if (!top || top.n === 0) return 0
    this.sql.exec(`DELETE FROM changes WHERE ${drop}`, type, before, cut?.seq ?? -1)
    this.sql.exec('UPDATE types SET log_floor = max(log_floor, ?) WHERE id = ?', top.rv ?? 0, type)
    return top.n
  }

  /** Changes after revision `since`, oldest first, at most `limit`. */
  changesSince(type: number, since: number, limit: number): ChangeRow[] {
    return this.rows<ChangeRow>(
      'SELECT seq, rv, kind, id, namespace, cells, object FROM changes WHERE type = ? AND rv > ? ORDER BY seq LIMIT ?',
      type,
      since,
      limit,
    )
  }

  // ---- answers -----------------------------------------------------------------------------------

  /** One page of a list (rows `offset`… up to `limit`), the count of all matching rows, and the summary. */
  page(t: Translation, query: ListQuery, window: { offset: number; limit: number | undefined }): PageAnswer {
    const known = (type: number, path: string) => this.knownFieldId(type, path) ?? -1
    const page = new Params()
    const sort = orderOf(page, t, query, known)
    const pageSql = `SELECT o.id, o.object, o.cells FROM objects o ${sort.joins} WHERE ${whereOf(page, t, query, known)}
      ORDER BY ${sort.order} LIMIT ${page.ref(window.limit ?? -1)} OFFSET ${page.ref(window.offset)}`
    const rows = this.rows<PageRow>(pageSql, ...page.values)
    const counting = new Params()
    const countSql = `SELECT count(*) AS n FROM objects o WHERE ${whereOf(counting, t, query, known)}`
    const count = (this.first<{ n: number }>(countSql, ...counting.values) as { n: number }).n
    const summary = query.summary?.map((field) => {
      const p = new Params()
      const value = summaryValue(p, resolve(p, t, field, known))
      const counts: Record<string, number> = {}
      const sql = `SELECT ${value} AS v, count(*) AS n FROM objects o WHERE ${whereOf(p, t, query, known)} GROUP BY v`
      for (const row of this.rows<{ v: SqlStorageValue; n: number }>(sql, ...p.values)) {
        if (row.v === null) continue
        // A number and a text spelling it alike are one value to a client.
        counts[String(row.v)] = (counts[String(row.v)] ?? 0) + row.n
      }
      return { property: fieldPathText(field), counts }
    })
    return { rows, count, summary }
  }

  // ---- storage -----------------------------------------------------------------------------------

  /** The bytes each type's objects take (JSON text plus their facts), for the bytes-per-object figure. */
  stats(): TypeStats[] {
    return this.rows<{ key: string; objects: number; bytes: number | null; facts: number; changes: number }>(
      `SELECT t.key AS key,
         (SELECT count(*) FROM objects o WHERE o.type = t.id) AS objects,
         (SELECT sum(length(o.object) + coalesce(length(o.cells), 0) + length(o.state) + length(o.id) * 2 + length(o.name) + 64) FROM objects o WHERE o.type = t.id) AS bytes,
         (SELECT count(*) FROM facts f JOIN objects o ON o.rowid = f.obj WHERE o.type = t.id) AS facts,
         (SELECT count(*) FROM changes c WHERE c.type = t.id) AS changes
       FROM types t ORDER BY t.key`,
    ).map((r) => ({ type: r.key, objects: r.objects, bytes: (r.bytes ?? 0) + r.facts * FACT_BYTES, facts: r.facts, changes: r.changes }))
  }

  /** The whole database file, as SQLite reports it. */
  get databaseSize(): number {
    return this.sql.databaseSize
  }
}

export interface PageAnswer {
  rows: PageRow[]
  count: number
  summary: { property: string; counts: Record<string, number> }[] | undefined
}

// ---- a ListQuery as SQL --------------------------------------------------------------------------
//
// Semantics are evaluate.ts's (protocol/api/steve), rule for rule: a field's value is its text (JSON
// numbers and booleans as JSON spells them, arrays joined with `|`, objects absent); `=`/`in` exact;
// `~` SQLite's LIKE (ASCII case-insensitive); `!=`, `!~`, `notin` also match an absent field; `<`/`>`
// compare the text read as a number; sort puts numbers before text (BINARY, i.e. code points), absent
// last ascending and first descending, ties by id. Indexed fields (cells, labels, per-type paths) are
// read from `facts`, whose values record.ts computed with the evaluator's own functions; other paths
// from the stored JSON. One deviation there: text that spells a number with an exponent, in hex or as
// Infinity is not a number to `<`/`>` on an unindexed path (it is on an indexed one).

/** What translating a query needs to know of its type. */
export interface Translation {
  /** The type's row id. */
  type: number
  /** The Steve type id, the value of the field `type`. */
  typeId: string
  /** Whether a path is one of the type's indexed fields (a `facts` field). */
  indexed: (path: FieldPath) => boolean
  /** Where the caller may see objects: every namespace, or these (cluster-scoped objects are in none). */
  namespaces: 'all' | readonly string[]
  /** For `projectsornamespaces`: the objects are namespaces, or the namespaces type's row id when it is cached. */
  projects: { namespaces: true } | { namespaces: false; namespaceType: number | undefined }
}

/** Statements take at most this many bindings (the platform's limit); a query needing more is refused. */
export const MAX_BINDINGS = 100

/** Numbered bindings, each distinct value bound once however often a statement uses it. */
class Params {
  readonly values: SqlStorageValue[] = []
  private readonly index = new Map<string, number>()

  ref(value: SqlStorageValue): string {
    const key = `${typeof value}:${String(value)}`
    let n = this.index.get(key)
    if (n === undefined) {
      this.values.push(value)
      n = this.values.length
      if (n > MAX_BINDINGS) throw badQuery('filter', `the query is too large to answer (more than ${MAX_BINDINGS} distinct values and fields)`)
      this.index.set(key, n)
    }
    return `?${n}`
  }
}

type Known = (type: number, path: string) => number

/** A field as SQL: an indexed fact, or expressions over a column or the stored JSON. */
type Resolved =
  | { kind: 'fact'; field: string }
  | { kind: 'expr'; text: string; sort: string; num: string; notNull: boolean }

const COLUMNS: Record<string, string> = {
  id: 'o.id',
  'metadata.name': 'o.name',
  'metadata.namespace': 'o.namespace',
  'metadata.creationTimestamp': 'o.created',
  'metadata.state.name': 'o.state_name',
}
const NOT_NULL = new Set(['o.id', 'o.name', 'o.created', 'o.state_name'])
const RENAMED = new Set(RESERVED_KEYS.map((key) => `_${key}`))

function resolve(p: Params, t: Translation, path: FieldPath, known: Known): Resolved {
  if (t.indexed(path)) return { kind: 'fact', field: p.ref(known(t.type, fieldPathText(path))) }
  const column = COLUMNS[path.join('.')]
  if (column !== undefined) return { kind: 'expr', text: column, sort: column, num: numberOfText(column), notNull: NOT_NULL.has(column) }
  const [head, ...rest] = path
  if (path.length === 1 && head === 'type') {
    const value = p.ref(t.typeId)
    return { kind: 'expr', text: value, sort: value, num: numberOfText(value), notNull: true }
  }
  // `id`, `type` and `links` are Steve's own (nothing below them is queryable); `actions` is not on items.
  if (head === 'id' || head === 'type' || head === 'links' || head === 'actions') return { kind: 'expr', text: 'NULL', sort: 'NULL', num: 'NULL', notNull: false }
  if (head === 'metadata' && rest[0] === 'fields') return json(p, 'o.cells', rest.slice(1))
  if (head === 'metadata' && rest[0] === 'state') return json(p, 'o.state', rest.slice(1))
  if (head !== undefined && RENAMED.has(head)) return json(p, 'o.object', [head.slice(1), ...rest])
  return json(p, 'o.object', path)
}

/** SQLite's JSON path for segments: numbers index arrays, anything else is a quoted key. */
function jsonPath(segments: readonly string[]): string {
  return `$${segments.map((s) => (/^[0-9]+$/.test(s) ? `[${s}]` : `."${s.replace(/["\\]/g, (c) => `\\${c}`)}"`)).join('')}`
}

function json(p: Params, column: string, segments: readonly string[]): Resolved {
  const path = p.ref(jsonPath(segments))
  const kind = `json_type(${column}, ${path})`
  const scalar = (c: string, at: string, type: string, value: string) =>
    `CASE ${type} WHEN 'text' THEN ${value} WHEN 'integer' THEN ${c} -> ${at} WHEN 'real' THEN ${c} -> ${at} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'`
  const items = `(SELECT group_concat(${scalar(column, 'j.fullkey', 'j.type', 'j.value')} ELSE '' END, '|' ORDER BY j.key) FROM json_each(${column}, ${path}) AS j)`
  const text = `${scalar(column, path, kind, `json_extract(${column}, ${path})`)} WHEN 'array' THEN coalesce(${items}, '') END`
  const number = `CASE ${kind} WHEN 'integer' THEN json_extract(${column}, ${path}) WHEN 'real' THEN json_extract(${column}, ${path})`
  return { kind: 'expr', text, sort: `${number} ELSE ${text} END`, num: `${number} ELSE ${numberOfText(text)} END`, notNull: false }
}

/** A text read as a decimal number (sign, digits, one point), else NULL. */
function numberOfText(text: string): string {
  const s = 'trim(v.value)'
  const u = `ltrim(${s}, '+-')`
  const decimal = `${s} <> '' AND ${u} <> '' AND length(${s}) - length(${u}) <= 1 AND ${u} NOT GLOB '*[^0-9.]*' AND ${u} NOT GLOB '*.*.*' AND ${u} <> '.'`
  return `(SELECT CASE WHEN ${decimal} THEN CAST(${s} AS REAL) END FROM json_each(json_array(${text})) AS v)`
}

/** A text read as an IPv4 address (four decimal octets of at most three digits) in one number, else NULL. */
function ipv4OfText(text: string): string {
  const parts = `json_each(CASE WHEN v.value NOT GLOB '*[^0-9.]*' THEN '["' || replace(v.value, '.', '","') || '"]' END) AS q`
  const ok = `count(*) = 4 AND min(length(q.value)) >= 1 AND max(length(q.value)) <= 3 AND max(CAST(q.value AS INTEGER)) <= 255`
  return `(SELECT (SELECT CASE WHEN ${ok} THEN sum(CAST(q.value AS INTEGER) << (8 * (3 - q.key))) END FROM ${parts}) FROM json_each(json_array(${text})) AS v)`
}

function likePattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** A value as a JSON number would spell it, when it is one: a cell of number 3 equals the filter value `3`. */
function asNumber(value: string): number | undefined {
  const n = Number(value)
  return value.trim() !== '' && Number.isFinite(n) && String(n) === value ? n : undefined
}

function factCondition(p: Params, f: Filter): string {
  switch (f.op) {
    case '=':
    case '!=': {
      const n = asNumber(f.value)
      return n === undefined ? `value = ${p.ref(f.value)}` : `(value = ${p.ref(f.value)} OR value = ${p.ref(n)})`
    }
    case '~':
    case '!~':
      return `value LIKE ${p.ref(likePattern(f.value))} ESCAPE '\\'`
    case 'in':
    case 'notin':
      return `value IN (SELECT value FROM json_each(${p.ref(JSON.stringify(f.values.flatMap((v) => [v, ...(asNumber(v) === undefined ? [] : [asNumber(v)])])))}))`
    case '<':
      return `num < ${p.ref(f.value)}`
    case '>':
      return `num > ${p.ref(f.value)}`
    case 'exists':
    case 'notexists':
      return '1'
  }
}

const NEGATED = new Set(['!=', '!~', 'notin', 'notexists'])

function filterSql(p: Params, t: Translation, f: Filter, known: Known): string {
  const field = resolve(p, t, f.field, known)
  if (field.kind === 'fact') {
    const objects = `(SELECT obj FROM facts WHERE field = ${field.field} AND ${factCondition(p, f)})`
    return NEGATED.has(f.op) ? `o.rowid NOT IN ${objects}` : `o.rowid IN ${objects}`
  }
  const x = field.text
  switch (f.op) {
    case '=':
      return `${x} = ${p.ref(f.value)}`
    case '!=':
      return `${x} IS NOT ${p.ref(f.value)}`
    case '~':
      return `${x} LIKE ${p.ref(likePattern(f.value))} ESCAPE '\\'`
    case '!~':
      return `coalesce(${x} LIKE ${p.ref(likePattern(f.value))} ESCAPE '\\', 0) = 0`
    case 'in':
      return `${x} IN (SELECT value FROM json_each(${p.ref(JSON.stringify(f.values))}))`
    case 'notin':
      return `coalesce(${x} IN (SELECT value FROM json_each(${p.ref(JSON.stringify(f.values))})), 0) = 0`
    case '<':
      return `${field.num} < ${p.ref(f.value)}`
    case '>':
      return `${field.num} > ${p.ref(f.value)}`
    case 'exists':
      return `${x} IS NOT NULL`
    case 'notexists':
      return `${x} IS NULL`
  }
}

function whereOf(p: Params, t: Translation, query: ListQuery, known: Known): string {
  const parts = [`o.type = ${p.ref(t.type)}`]
  if (t.namespaces !== 'all') parts.push(`o.namespace IN (SELECT value FROM json_each(${p.ref(JSON.stringify(t.namespaces))}))`)
  for (const group of query.filters) parts.push(`(${group.map((f) => filterSql(p, t, f, known)).join(' OR ')})`)
  if (query.projectsOrNamespaces) parts.push(projectsSql(p, t, query.projectsOrNamespaces.names, query.projectsOrNamespaces.exclude, known))
  return parts.join(' AND ')
}

/** Objects in the named namespaces or in namespaces of the named projects (their `field.cattle.io/projectId` label). */
function projectsSql(p: Params, t: Translation, names: readonly string[], exclude: boolean, known: Known): string {
  const list = `(SELECT value FROM json_each(${p.ref(JSON.stringify(names))}))`
  const labelled = (type: number, objects: string) =>
    `${objects} IN (SELECT obj FROM facts WHERE field = ${p.ref(known(type, fieldPathText(['metadata', 'labels', PROJECT_LABEL])))} AND value IN ${list})`
  if (t.projects.namespaces) {
    const hit = `(o.name IN ${list} OR ${labelled(t.type, 'o.rowid')})`
    return exclude ? `NOT ${hit}` : hit
  }
  const nsType = t.projects.namespaceType
  const inProject = nsType === undefined ? '0' : `o.namespace IN (SELECT n.name FROM objects n WHERE n.type = ${p.ref(nsType)} AND ${labelled(nsType, 'n.rowid')})`
  const hit = `(o.namespace IN ${list} OR ${inProject})`
  return exclude ? `(o.namespace IS NULL OR NOT ${hit})` : `(o.namespace IS NOT NULL AND ${hit})`
}

function orderOf(p: Params, t: Translation, query: ListQuery, known: Known): { joins: string; order: string } {
  const joins: string[] = []
  const keys = query.sort.map((key, i) => {
    const field = resolve(p, t, key.field, known)
    let value: string
    let notNull = false
    if (field.kind === 'fact') {
      joins.push(`LEFT JOIN facts s${i} ON s${i}.obj = o.rowid AND s${i}.field = ${field.field}`)
      value = key.asIp ? `s${i}.ip` : `s${i}.value`
    } else {
      value = key.asIp ? ipv4OfText(field.text) : field.sort
      notNull = field.notNull && !key.asIp
    }
    if (notNull) return `${value} ${key.descending ? 'DESC' : 'ASC'}`
    return `${value} ${key.descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`
  })
  return { joins: joins.join(' '), order: [...keys, 'o.id'].join(', ') }
}

/** The value a summary counts: the field's text (a number's text is what JavaScript's String gives it). */
function summaryValue(p: Params, field: Resolved): string {
  if (field.kind === 'fact') return `(SELECT value FROM facts WHERE obj = o.rowid AND field = ${field.field})`
  return field.text
}
