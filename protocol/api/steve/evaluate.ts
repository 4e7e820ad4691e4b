/**
 * The reference semantics of a `ListQuery` over formatted objects held in memory: what `/v1` answers
 * for types not cached yet, and the oracle the SQL cache is tested against — so every rule here is
 * one SQL can state too:
 * - A field's value is its text: numbers and booleans as JSON spells them, arrays as their items
 *   joined with `|` (how Steve stores list columns), other objects as absent.
 * - `=`, `in` compare exactly; `~` is a substring test, case-insensitive for ASCII only (SQLite's
 *   LIKE); `<`/`>` compare numbers and never match a value that is not one; `!=`, `!~`, `notin` also
 *   match when the field is absent; `exists`/`notexists` test a label key.
 * - Sort: JSON numbers before text and by value, text by code point (SQLite's BINARY collation),
 *   absent values after all others ascending and before them descending (Steve's NULLS LAST / FIRST
 *   for labels); `ip()` keys compare as IPv4 numbers, anything else counting as absent. Ties are
 *   broken by `id` ascending, which is also the order with no `sort` (Steve's default: id for
 *   namespaced types, name for cluster-scoped ones — the same thing there).
 * - Paging: the rows start at the `continue` offset; a page is the smaller of `pagesize` and `limit`;
 *   page N starts N-1 pages further; `continue` is offered while rows remain after a bounded page.
 */
import { fieldPathText, labelKeyOf, valueAt, type FieldPath } from './field-path.ts'
import { continueToken, type Filter, type ListQuery, type ProjectsOrNamespaces } from './query.ts'

/** What evaluation needs besides the objects. */
export interface EvaluateContext {
  /** The project id of a namespace (its `field.cattle.io/projectId` label), for `projectsornamespaces`. */
  projectOf?: (namespace: string) => string | undefined
  /** True when the objects are namespaces, which `projectsornamespaces` tests by their own name. */
  namespaces?: boolean
}

export interface EvaluatedPage<T> {
  items: T[]
  /** Rows matching the filters, before paging. */
  count: number
  /** Pages of `pagesize` in `count`, when a page size was asked. */
  pages: number | undefined
  continue: string | undefined
  /** Counts of each value of the `summary=` fields over all matching rows (absent values not counted). */
  summary: SummaryEntry[] | undefined
}

/** rancher/apiserver's summary entry: one field and how many rows hold each of its values. */
export interface SummaryEntry {
  property: string
  counts: Record<string, number>
}

type Item = Record<string, unknown>

/** The namespace label that names its Rancher project. */
export const PROJECT_LABEL = 'field.cattle.io/projectId'

export function evaluateList<T extends Item>(items: readonly T[], query: ListQuery, context: EvaluateContext = {}): EvaluatedPage<T> {
  const matching = items.filter((item) => matchesQuery(item, query, context))
  const sorted = sortItems(matching, query)
  const count = sorted.length
  const start = query.continueOffset ?? 0
  const size = Math.min(query.pageSize ?? Infinity, query.limit ?? Infinity)
  const offset = Number.isFinite(size) ? start + (query.page - 1) * size : start
  const page = Number.isFinite(size) ? sorted.slice(offset, offset + size) : sorted.slice(offset)
  const more = Number.isFinite(size) && offset + page.length < count
  return {
    items: page,
    count,
    pages: query.pageSize === undefined ? undefined : Math.ceil(count / query.pageSize),
    continue: more ? continueToken(offset + size) : undefined,
    summary: query.summary === undefined ? undefined : summarize(matching, query.summary),
  }
}

export function summarize(items: readonly Item[], fields: readonly FieldPath[]): SummaryEntry[] {
  return fields.map((field) => {
    const counts: Record<string, number> = {}
    for (const item of items) {
      const text = fieldText(item, field)
      if (text !== undefined) counts[text] = (counts[text] ?? 0) + 1
    }
    return { property: fieldPathText(field), counts }
  })
}

export function matchesQuery(item: Item, query: ListQuery, context: EvaluateContext = {}): boolean {
  if (!query.filters.every((group) => group.some((filter) => matchesFilter(item, filter)))) return false
  return query.projectsOrNamespaces === undefined || inProjectsOrNamespaces(item, query.projectsOrNamespaces, context)
}

export function matchesFilter(item: Item, filter: Filter): boolean {
  if (filter.op === 'exists' || filter.op === 'notexists') {
    const labels = valueAt(item, ['metadata', 'labels'])
    const key = labelKeyOf(filter.field) as string
    const has = labels !== null && typeof labels === 'object' && Object.hasOwn(labels, key)
    return has === (filter.op === 'exists')
  }
  const text = fieldText(item, filter.field)
  switch (filter.op) {
    case '=':
      return text === filter.value
    case '!=':
      return text !== filter.value
    case '~':
      return text !== undefined && asciiLower(text).includes(asciiLower(filter.value))
    case '!~':
      return text === undefined || !asciiLower(text).includes(asciiLower(filter.value))
    case 'in':
      return text !== undefined && filter.values.includes(text)
    case 'notin':
      return text === undefined || !filter.values.includes(text)
    case '<':
    case '>': {
      const number = text === undefined ? undefined : numberOfText(text)
      if (number === undefined) return false
      return filter.op === '<' ? number < filter.value : number > filter.value
    }
  }
}

/** A field's value as text, or undefined when absent (see the rules above). */
export function fieldText(item: Item, field: FieldPath): string | undefined {
  const value = valueAt(item, field)
  if (Array.isArray(value)) return value.map((entry) => scalarText(entry) ?? '').join('|')
  return scalarText(value)
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  return undefined
}

function inProjectsOrNamespaces(item: Item, selection: ProjectsOrNamespaces, context: EvaluateContext): boolean {
  const namespace = fieldText(item, context.namespaces ? ['metadata', 'name'] : ['metadata', 'namespace'])
  if (namespace === undefined) return selection.exclude
  const project = context.namespaces ? fieldText(item, ['metadata', 'labels', PROJECT_LABEL]) : context.projectOf?.(namespace)
  const hit = selection.names.includes(namespace) || (project !== undefined && selection.names.includes(project))
  return hit !== selection.exclude
}

type SortValue = number | string | undefined

export function sortItems<T extends Item>(items: readonly T[], query: ListQuery): T[] {
  const keyed = items.map((item, index) => ({
    item,
    index,
    keys: query.sort.map((key) => sortValue(item, key.field, key.asIp)),
    id: fieldText(item, ['id']),
  }))
  keyed.sort((a, b) => {
    for (const [i, key] of query.sort.entries()) {
      const order = compareSortValues(a.keys[i], b.keys[i])
      if (order !== 0) return key.descending ? -order : order
    }
    return compareSortValues(a.id, b.id) || a.index - b.index
  })
  return keyed.map((entry) => entry.item)
}

function sortValue(item: Item, field: FieldPath, asIp: boolean): SortValue {
  if (asIp) return ipv4Number(fieldText(item, field))
  const value = valueAt(item, field)
  return typeof value === 'number' ? value : fieldText(item, field)
}

/** Absent last, numbers before text, text by code point. */
export function compareSortValues(a: SortValue, b: SortValue): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a === 'number' && typeof b === 'number') return a - b
    return typeof a === 'number' ? -1 : 1
  }
  return compareCodePoints(a, b)
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0
  const left = a[Symbol.iterator]()
  const right = b[Symbol.iterator]()
  for (;;) {
    const x = left.next()
    const y = right.next()
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1
    const diff = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number)
    if (diff !== 0) return diff
  }
}

/** A field's text read as a number for `<`/`>` (JavaScript's reading; blank or not a number: none). */
export function numberOfText(text: string): number | undefined {
  if (text.trim() === '') return undefined
  const n = Number(text)
  return Number.isNaN(n) ? undefined : n
}

/** `a.b.c.d` with four decimal octets as one number (`sort=ip(…)`); anything else: none. */
export function ipv4Number(text: string | undefined): number | undefined {
  const parts = text?.split('.')
  if (parts?.length !== 4 || !parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) return undefined
  return parts.reduce((sum, part) => sum * 256 + Number(part), 0)
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (ch) => ch.toLowerCase())
}
