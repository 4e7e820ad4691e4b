/**
 * The query of a `/v1` list, parsed once at the edge into a `ListQuery` that the SQL cache and the
 * in-memory evaluator (evaluate.ts) both answer. Bad input is a 400 `SteveError` naming the parameter.
 *
 * Matched to rancher/steve's SQL-backed list (sqlpartition/listprocessor and its queryparser, README
 * "List-specific query parameters"):
 * - `filter=` may repeat: the parameters are ANDed, the comma-separated requirements inside one are
 *   ORed. A requirement is `key op value` with `=`/`==` (exact), `!=`, `~` (partial: substring,
 *   ASCII case-insensitive, as SQL LIKE), `!~`, `<`/`>` (also `lt`/`gt`; integer values only),
 *   `in (a,b)`/`notin (a,b)` (keywords in any case); `metadata.labels[k]` alone tests that a label
 *   exists and `!metadata.labels[k]` that it does not (existence is for labels only). Values are bare
 *   words or quoted with `'` or `"` (backslash escapes), which may hold commas and spaces.
 * - Keys are field paths (field-path.ts): `metadata.labels[k]`, `metadata.fields[2]` for table cells.
 * - `sort=a,-b`: any number of keys, `-` for descending; `ip(f)` / `ip(-f)` sorts as IPv4 addresses.
 * - `page` (1-based) and `pagesize`; `limit` (-1 or 0: none) and `continue` (Steve's token is the
 *   offset of the next row, a decimal number); with both, the page counts from the continue offset
 *   and the smaller of `limit` and `pagesize` is the page's size.
 * - `revision` must be an integer, as Steve checks.
 * - `projectsornamespaces=p1,ns1` keeps objects whose namespace is named so or carries the
 *   `field.cattle.io/projectId` label with that value; `projectsornamespaces!=…` (the parameter named
 *   `projectsornamespaces!`) keeps the others.
 * - `summary=f1,f2` at most once; `exclude=`/`include=` (repeated or comma-separated) drop or keep
 *   fields of each item (rancher/apiserver's; clients always send `exclude=metadata.managedFields`).
 * Stricter than Steve, on purpose: where Steve silently ignores a malformed `page`, `pagesize`,
 * `limit`, sort or repeated single-valued parameter, we answer 400, and page sizes are bounded.
 */
import { badQuery } from './error.ts'
import { queryFieldPath, type FieldPath } from './field-path.ts'
import { parseFilter } from './filter-parse.ts'

export type { FieldPath } from './field-path.ts'

/** Largest `pagesize` we answer; the dashboard asks for 100 and "load all" for a few thousand. */
export const MAX_PAGE_SIZE = 10_000
/** Largest `limit` (Steve's default limit). */
export const MAX_LIMIT = 100_000
/** Bounds on one query's size, so a request cannot make an unbounded SQL statement. */
export const MAX_FILTER_TERMS = 64
export const MAX_SORT_KEYS = 8

export type FilterOp = '=' | '!=' | '~' | '!~' | 'in' | 'notin' | '<' | '>' | 'exists' | 'notexists'

/** One requirement. `!=`, `!~` and `notin` also match objects without the field (label-selector semantics). */
export type Filter =
  | { field: FieldPath; op: '=' | '!=' | '~' | '!~'; value: string }
  | { field: FieldPath; op: 'in' | 'notin'; values: string[] }
  | { field: FieldPath; op: '<' | '>'; value: number }
  | { field: FieldPath; op: 'exists' | 'notexists' }

/** Requirements of which at least one must hold (one `filter=` parameter). */
export type FilterGroup = readonly Filter[]

export interface SortKey {
  field: FieldPath
  descending: boolean
  /** `ip(field)`: compare as IPv4 addresses rather than text. */
  asIp: boolean
}

export interface ProjectsOrNamespaces {
  /** Namespace names or project ids (values of the `field.cattle.io/projectId` namespace label). */
  names: string[]
  /** `projectsornamespaces!=`: keep objects in none of them. */
  exclude: boolean
}

export interface ListQuery {
  /** Every group must hold (AND); within a group, any requirement (OR). */
  filters: FilterGroup[]
  /** Empty: the default order (by `id`, i.e. namespace then name). */
  sort: SortKey[]
  /** 1-based; 1 when not given. */
  page: number
  pageSize: number | undefined
  /** Undefined: no limit asked (absent, or Steve's `-1`/`0`). */
  limit: number | undefined
  /** The offset a `continue` token names. */
  continueOffset: number | undefined
  revision: string | undefined
  projectsOrNamespaces: ProjectsOrNamespaces | undefined
  /** Fields to count the values of (`summary=`), when asked. */
  summary: FieldPath[] | undefined
  exclude: FieldPath[]
  include: FieldPath[]
}

/** Parses the list parameters of a `/v1` request; others (`link`, `action`, …) are left alone. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const filters: FilterGroup[] = []
  let terms = 0
  for (const text of params.getAll('filter')) {
    if (text.trim() === '') continue
    const group = parseFilter(text)
    terms += group.length
    if (terms > MAX_FILTER_TERMS) throw badQuery('filter', `too many filter terms (at most ${MAX_FILTER_TERMS})`)
    filters.push(group)
  }
  const pageSize = integerParam(params, 'pagesize', 1, MAX_PAGE_SIZE)
  return {
    filters,
    sort: parseSort(single(params, 'sort')),
    page: integerParam(params, 'page', 1, Number.MAX_SAFE_INTEGER) ?? 1,
    pageSize,
    limit: parseLimit(single(params, 'limit')),
    continueOffset: parseContinue(single(params, 'continue')),
    revision: parseRevision(single(params, 'revision')),
    projectsOrNamespaces: parseProjectsOrNamespaces(params),
    summary: parseSummary(params),
    exclude: pathList(params, 'exclude'),
    include: pathList(params, 'include'),
  }
}

/** The `continue` token for the row at `offset` (Steve's: the offset in decimal). */
export function continueToken(offset: number): string {
  return String(offset)
}

/**
 * Throws a 400 for the first filter, sort or summary field the type cannot answer (e.g. a column the
 * cache does not index). The parser knows only syntax; the caller knows which fields a type has.
 */
export function assertKnownFields(query: ListQuery, isKnown: (field: FieldPath) => boolean): void {
  for (const group of query.filters) {
    for (const filter of group) {
      if (!isKnown(filter.field)) throw badQuery('filter', `cannot filter on unknown field '${filter.field.join('.')}'`)
    }
  }
  for (const key of query.sort) {
    if (!isKnown(key.field)) throw badQuery('sort', `cannot sort on unknown field '${key.field.join('.')}'`)
  }
  for (const field of query.summary ?? []) {
    if (!isKnown(field)) throw badQuery('summary', `cannot summarize unknown field '${field.join('.')}'`)
  }
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) throw badQuery(name, `'${name}' may be given once, got ${values.length}`)
  return values[0]
}

function integerParam(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = single(params, name)
  if (text === undefined) return undefined
  if (!/^[0-9]+$/.test(text)) throw badQuery(name, `'${name}' must be a whole number, got '${text}'`)
  const value = Number(text)
  if (value < min) throw badQuery(name, `'${name}' must be at least ${min}, got ${text}`)
  if (value > max) throw badQuery(name, `'${name}' must be at most ${max}, got ${text}`)
  return value
}

function parseSort(text: string | undefined): SortKey[] {
  if (text === undefined || text === '') return []
  const parts = text.split(',')
  if (parts.length > MAX_SORT_KEYS) throw badQuery('sort', `at most ${MAX_SORT_KEYS} sort keys, got ${parts.length}`)
  return parts.map((part) => {
    let field = part.trim()
    let descending = false
    let asIp = false
    if (field.startsWith('-ip(')) {
      descending = true
      field = field.slice(1)
    }
    if (field.startsWith('ip(')) {
      if (!field.endsWith(')')) throw badQuery('sort', `malformed sort key '${part}': 'ip(' without ')'`)
      asIp = true
      field = field.slice(3, -1)
    }
    if (field.startsWith('-')) {
      if (descending) throw badQuery('sort', `malformed sort key '${part}': '-' twice`)
      descending = true
      field = field.slice(1)
    }
    if (field === '') throw badQuery('sort', `malformed sort '${text}': empty sort key`)
    return { field: queryFieldPath('sort', field), descending, asIp }
  })
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^-?[0-9]+$/.test(text)) throw badQuery('limit', `'limit' must be a whole number, got '${text}'`)
  const value = Number(text)
  if (value <= 0) return undefined
  if (value > MAX_LIMIT) throw badQuery('limit', `'limit' must be at most ${MAX_LIMIT}, got ${text}`)
  return value
}

function parseContinue(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  if (!/^(0|[1-9][0-9]{0,14})$/.test(text)) throw badQuery('continue', `invalid continue token '${text}'`)
  return Number(text)
}

function parseRevision(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!/^[0-9]{1,19}$/.test(text)) throw badQuery('revision', `value ${text} for revision query param is not valid`)
  return text
}

function parseProjectsOrNamespaces(params: URLSearchParams): ProjectsOrNamespaces | undefined {
  const keep = single(params, 'projectsornamespaces')
  const drop = single(params, 'projectsornamespaces!')
  if (keep !== undefined && drop !== undefined) {
    throw badQuery('projectsornamespaces', `give 'projectsornamespaces' or 'projectsornamespaces!', not both`)
  }
  const text = keep ?? drop
  if (text === undefined) return undefined
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '')
  return names.length === 0 ? undefined : { names, exclude: drop !== undefined }
}

function parseSummary(params: URLSearchParams): FieldPath[] | undefined {
  const text = single(params, 'summary')
  if (text === undefined) return undefined
  if (text === '') throw badQuery('summary', `'summary' given with no fields to summarize`)
  return text.split(',').map((field) => {
    if (field === '') throw badQuery('summary', `empty field in summary '${text}'`)
    return queryFieldPath('summary', field)
  })
}

function pathList(params: URLSearchParams, name: string): FieldPath[] {
  return params
    .getAll(name)
    .flatMap((text) => text.split(','))
    .filter((text) => text !== '')
    .map((text) => queryFieldPath(name, text))
}
