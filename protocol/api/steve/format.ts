/**
 * Steve's JSON for one object and for a list, as rancher/apiserver writes them:
 * - a resource is the Kubernetes object with `id` (`ns/name` or `name`), `type` (the type id) and
 *   `links` in front; the object's own top-level `id`, `type`, `links` and `actions` (apiserver's
 *   reserved keys) move to `_id`, `_type`, `_links`, `_actions` (so a Secret's `type` is `_type`);
 * - links: `self` (the `/v1` URL, plural type id) and `view` (the Kubernetes API URL) always;
 *   `update`, `patch`, `remove` only when the caller's verbs on the object include `update`,
 *   `patch`, `delete`;
 * - `metadata.fields` are the cells of the object's row in the apiserver's Table (`as=Table`) and
 *   `metadata.state` its summary (state.ts);
 * - `exclude=` drops fields and `include=` keeps only the named ones (id, type and links stay).
 * A collection carries `type: "collection"`, `links.self`, `actions`, `resourceType`, `createTypes`
 * when the caller may create, and `revision`, `continue`, `count`, `pages`, `pagination`, `summary`
 * only when they have a value (apiserver omits empty and zero ones), then `data`.
 */
import type { FieldPath } from './field-path.ts'
import { objectState, type SteveState } from './state.ts'
import { objectId } from './types.ts'
import type { SummaryEntry } from './evaluate.ts'

export const RESERVED_KEYS = ['id', 'type', 'links', 'actions'] as const

/** Where a type lives: its ids and its Kubernetes API path. */
export interface SteveTypeRef {
  /** `apps.deployment` */
  id: string
  /** `apps.deployments`, used in `/v1` URLs */
  pluralId: string
  /** `/api/v1` or `/apis/apps/v1` */
  apiPath: string
  /** `deployments` */
  resource: string
}

export interface FormatOptions {
  type: SteveTypeRef
  /** Absolute `/v1` root (`https://host/v1`, `https://host/k8s/clusters/c-1/v1`). */
  v1Url: string
  /** Absolute root where `/api` and `/apis` are served for this cluster. */
  kubeUrl: string
  /** Verbs the caller may use on this object (`get`, `update`, `patch`, `delete`, …). */
  verbs: readonly string[]
  /** The object's Table row cells, when known. */
  cells?: readonly unknown[]
  exclude?: readonly FieldPath[]
  include?: readonly FieldPath[]
  /** Milliseconds; passed to the state rules (stuck deletions). */
  now?: number
}

export interface SteveLinks {
  self: string
  view: string
  update?: string
  patch?: string
  remove?: string
}

export interface SteveResource {
  id: string
  type: string
  links: SteveLinks
  metadata?: Record<string, unknown> & { state?: SteveState; fields?: unknown[] }
  [key: string]: unknown
}

type Obj = Record<string, unknown>

export function formatResource(object: Obj, options: FormatOptions): SteveResource {
  const metadata = (isObject(object.metadata) ? object.metadata : {}) as Obj
  const name = typeof metadata.name === 'string' ? metadata.name : ''
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined
  const id = objectId(namespace, name)
  const self = `${options.v1Url}/${options.type.pluralId}/${id}`
  const scope = namespace === undefined ? '' : `/namespaces/${namespace}`
  const links: SteveLinks = { self, view: `${options.kubeUrl}${options.type.apiPath}${scope}/${options.type.resource}/${name}` }
  if (options.verbs.includes('update')) links.update = self
  if (options.verbs.includes('patch')) links.patch = self
  if (options.verbs.includes('delete')) links.remove = self

  const body: Obj = {}
  for (const [key, value] of Object.entries(object)) {
    body[(RESERVED_KEYS as readonly string[]).includes(key) ? `_${key}` : key] = value
  }
  const fullMetadata: Obj = { ...metadata, state: objectState(object, options.now) }
  if (options.cells !== undefined) fullMetadata.fields = [...options.cells]
  body.metadata = fullMetadata

  return projectResource({ id, type: options.type.id, links, ...body }, options)
}

/** `exclude=` and `include=` on a resource: the named fields go, or only they stay; id, type and links always stay. */
export function projectResource(resource: SteveResource, fields: { exclude?: readonly FieldPath[]; include?: readonly FieldPath[] }): SteveResource {
  const exclude = fields.exclude ?? []
  const include = fields.include ?? []
  if (exclude.length === 0 && include.length === 0) return resource
  const { id, type, links, ...rest } = resource
  let data: Obj = rest
  for (const path of exclude) data = withoutPath(data, path)
  if (include.length > 0) data = onlyPaths(data, include)
  return { id, type, links, ...data }
}

export interface CollectionOptions {
  /** The type id (`apps.deployment`). */
  resourceType: string
  /** The request's own URL. */
  selfUrl: string
  /** The collection URL, when the caller may create objects of this type. */
  createUrl?: string
  revision?: string
  continue?: string
  /** The `limit` asked, echoed in `pagination`. */
  limit?: number
  count?: number
  pages?: number
  summary?: SummaryEntry[]
}

export interface SteveCollection {
  type: 'collection'
  links: { self: string }
  createTypes?: Record<string, string>
  actions: Record<string, string>
  resourceType: string
  pagination?: { limit?: number; next: string; partial: true }
  revision?: string
  continue?: string
  pages?: number
  count?: number
  summary?: SummaryEntry[]
  data: SteveResource[]
}

export function formatCollection(data: SteveResource[], options: CollectionOptions): SteveCollection {
  const collection: SteveCollection = { type: 'collection', links: { self: options.selfUrl }, actions: {}, resourceType: options.resourceType, data: [] }
  if (options.createUrl !== undefined) collection.createTypes = { [options.resourceType]: options.createUrl }
  if (options.continue) {
    const next = new URL(options.selfUrl)
    next.searchParams.set('continue', options.continue)
    collection.pagination = { ...(options.limit ? { limit: options.limit } : {}), next: next.toString(), partial: true }
  }
  if (options.revision) collection.revision = options.revision
  if (options.continue) collection.continue = options.continue
  if (options.pages) collection.pages = options.pages
  if (options.count) collection.count = options.count
  if (options.summary !== undefined) collection.summary = options.summary
  collection.data = data
  return collection
}

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A copy without the field at `path` (copying only along the path). */
export function withoutPath(object: Obj, path: FieldPath): Obj {
  const [head, ...rest] = path
  if (head === undefined || !Object.hasOwn(object, head)) return object
  const copy = { ...object }
  if (rest.length === 0) {
    delete copy[head]
  } else {
    const child = object[head]
    if (!isObject(child)) return object
    copy[head] = withoutPath(child, rest)
  }
  return copy
}

/** A copy holding only the fields at `paths`. */
export function onlyPaths(object: Obj, paths: readonly FieldPath[]): Obj {
  const result: Obj = {}
  for (const path of paths) {
    let source: unknown = object
    let target = result
    for (const [i, key] of path.entries()) {
      if (!isObject(source) || !Object.hasOwn(source, key)) break
      source = source[key]
      if (i === path.length - 1) {
        target[key] = source
      } else {
        const existing = target[key]
        target[key] = isObject(existing) ? { ...existing } : {}
        target = target[key] as Obj
      }
    }
  }
  return result
}
