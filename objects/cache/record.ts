// One object as the index stores it: the columns every type has, the indexed facts, and the JSON.
// Every indexed value is computed with the reference evaluator's own `fieldText` over the object as
// `/v1` formats it, so an answer from an index and one from evaluating in memory cannot disagree on
// what a field's value is.
import { fieldPathText, fieldText, ipv4Number, labelKeyOf, numberOfText, objectId, objectState, RESERVED_KEYS, tableCellOf, valueAt, type FieldPath } from '../../protocol/api/steve/index.ts'
import type { ResourceType } from '../../protocol/kube/index.ts'
import { storable } from './redact.ts'

type Obj = Record<string, unknown>

/** An indexed field's value for one object (absent fields have none). */
export interface Fact {
  /** The field's canonical spelling (`metadata.labels[app]`, `metadata.fields[3]`, `spec.nodeName`). */
  path: string
  /** The sort value: a JSON number stays a number, anything else is the field's text. */
  value: string | number
  /** The text as a number when it reads as one (`<`/`>` filters), else null. */
  num: number | null
  /** The text as an IPv4 address in a number (`sort=ip(…)`), else null. */
  ip: number | null
}

export interface StoredRecord {
  id: string
  /** Null for cluster-scoped objects. */
  namespace: string | null
  name: string
  created: string
  stateName: string
  /** `metadata.state` as JSON. */
  state: string
  resourceVersion: string
  /** The table cells as JSON, when the apiserver printed the object. */
  cells: string | null
  /** The stored (redacted) object as JSON. */
  object: string
  facts: Fact[]
}

/**
 * Fields indexed per type beyond the ones every type has (name, namespace, creationTimestamp, state, the
 * table cells, labels), by `group/kind`: what lists of that type are filtered and sorted by. Pods' table
 * cells already hold ready, status, restarts, IP and node; these are the same facts by their own paths.
 */
const TYPE_FIELDS: Record<string, FieldPath[]> = {
  '/Pod': [
    ['spec', 'nodeName'],
    ['status', 'podIP'],
    ['status', 'phase'],
    ['spec', 'containers', '0', 'image'],
    ['status', 'containerStatuses', '0', 'restartCount'],
  ],
  '/Event': [
    ['reason'],
    ['_type'],
    ['involvedObject', 'kind'],
    ['involvedObject', 'name'],
    ['involvedObject', 'namespace'],
    ['involvedObject', 'uid'],
  ],
  'events.k8s.io/Event': [['reason'], ['_type'], ['regarding', 'kind'], ['regarding', 'name'], ['regarding', 'namespace'], ['regarding', 'uid']],
}

/** Fields indexed for every type besides its cells and labels, kept as columns of their own. */
export const COLUMN_FIELDS = {
  id: ['id'],
  name: ['metadata', 'name'],
  namespace: ['metadata', 'namespace'],
  created: ['metadata', 'creationTimestamp'],
  state: ['metadata', 'state', 'name'],
} as const satisfies Record<string, FieldPath>

/** The per-type indexed fields of a type (besides cells and labels). */
export function typeFields(type: Pick<ResourceType, 'group' | 'kind'>): readonly FieldPath[] {
  return TYPE_FIELDS[`${type.group}/${type.kind}`] ?? []
}

/** Whether a path is an indexed field of the type (a table cell, a label, or one of its per-type paths). */
export function isIndexed(type: Pick<ResourceType, 'group' | 'kind'>, path: FieldPath): boolean {
  if (tableCellOf(path) !== undefined || labelKeyOf(path) !== undefined) return true
  const text = fieldPathText(path)
  return typeFields(type).some((p) => fieldPathText(p) === text)
}

/** The keys Steve moves aside with an underscore (`Secret.type` is `_type`). */
const RESERVED = new Set<string>(RESERVED_KEYS)

/** The object as the query language sees it: Steve's renames, `id`, `metadata.fields` and `metadata.state`. */
export function queryView(object: Obj, cells: readonly unknown[] | undefined, state: unknown, id: string): Obj {
  const view: Obj = {}
  for (const [key, value] of Object.entries(object)) view[RESERVED.has(key) ? `_${key}` : key] = value
  const metadata = object.metadata !== null && typeof object.metadata === 'object' ? (object.metadata as Obj) : {}
  view.metadata = { ...metadata, state, ...(cells ? { fields: cells } : {}) }
  view.id = id
  return view
}

/** What the index stores of one object read from the apiserver (a Table row's object and cells). */
export function recordOf(type: Pick<ResourceType, 'group' | 'kind'>, raw: Obj, cells: readonly unknown[] | undefined, now: number): StoredRecord {
  const object = storable(type, raw)
  const metadata = (object.metadata ?? {}) as Obj
  const name = typeof metadata.name === 'string' ? metadata.name : ''
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : null
  const id = objectId(namespace ?? undefined, name)
  const state = objectState(object, now)
  const view = queryView(object, cells, state, id)
  const facts: Fact[] = []
  const add = (path: FieldPath) => {
    const fact = factOf(view, path)
    if (fact) facts.push(fact)
  }
  cells?.forEach((_cell, i) => add(['metadata', 'fields', String(i)]))
  const labels = metadata.labels
  if (labels !== null && typeof labels === 'object') for (const key of Object.keys(labels)) add(['metadata', 'labels', key])
  for (const path of typeFields(type)) add(path)
  return {
    id,
    namespace,
    name,
    created: typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : '',
    stateName: state.name,
    state: JSON.stringify(state),
    resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '',
    cells: cells ? JSON.stringify(cells) : null,
    object: JSON.stringify(object),
    facts,
  }
}

export function factOf(view: Obj, path: FieldPath): Fact | undefined {
  const text = fieldText(view, path)
  if (text === undefined) return undefined
  const raw = valueAt(view, path)
  return { path: fieldPathText(path), value: typeof raw === 'number' ? raw : text, num: numberOfText(text) ?? null, ip: ipv4Number(text) ?? null }
}
