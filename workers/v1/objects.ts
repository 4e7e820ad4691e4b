// One object through `/v1`: GET, POST (create), PUT (update), PATCH and DELETE go straight through the
// tunnel *as the caller* — the apiserver decides and its refusals come back as Steve errors with its
// status — and answers are formatted as Steve's resources. The shapes follow Steve's proxy store: a
// create without a name gets `generateName` from the type id, a namespaced create takes the URL's
// namespace when the body has none, an update must carry metadata.resourceVersion, `_type`-style keys go
// back to their names, PATCH is a strategic merge unless the body is sent as a JSON or merge patch, and a
// DELETE answers the object while it still exists (finalizers) or 204 once it is gone.
import { formatResource, parseListQuery, RESERVED_KEYS, SteveError, type FieldPath, type SteveResource } from '../../protocol/api/steve/index.ts'
import { apiVersionOf, isForbidden, isNamespaceType, isNotFound, resourcePath } from '../../protocol/kube/index.ts'
import { jsonBody } from '../norman/body.ts'
import { verbsOn } from './access.ts'
import { rememberColumns } from './columns.ts'
import { typeRef, type SteveType } from './discovery.ts'
import { isRecord } from './kube-json.ts'
import { LINK_VERBS } from './list.ts'
import { namespacesWithGrants, rulesFor } from './rules.ts'
import type { ClusterScope } from './scope.ts'
import { getObject, writeObject, type Obj, type TablePage } from './table.ts'

/** Steve reads at most 2 MiB of a body. */
export const MAX_WRITE_BYTES = 2 << 20
/** Write options passed on to the apiserver. */
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation']

export interface ObjectRef {
  type: SteveType
  namespace: string | undefined
  name: string
}

export async function getAnswer(scope: ClusterScope, ref: ObjectRef, params: URLSearchParams): Promise<SteveResource> {
  const query = parseListQuery(params)
  let page: TablePage
  try {
    page = await getObject(scope.user, ref.type, ref.name, ref.namespace)
  } catch (e) {
    // Steve shows a caller the namespaces they hold a grant in, whether or not they may get them.
    if (!isForbidden(e) || !isNamespaceType(ref.type) || !namespacesWithGrants(await rulesFor(scope)).includes(ref.name)) throw e
    page = await getObject(scope.system, ref.type, ref.name, undefined)
  }
  return formatted(scope, ref.type, page, { exclude: query.exclude, include: query.include })
}

export async function createAnswer(scope: ClusterScope, type: SteveType, urlNamespace: string | undefined, req: Request): Promise<SteveResource> {
  const input = fromUnderscore(await objectBody(req))
  const metadata = metadataOf(input)
  if (!metadata.name && !metadata.generateName) metadata.generateName = `${type.id.slice(0, 1)}-`
  if (type.namespaced && !metadata.namespace) {
    if (!urlNamespace) throw SteveError.of('InvalidBodyContent', 'metadata.namespace or namespace is required')
    metadata.namespace = urlNamespace
  }
  const namespace = type.namespaced ? String(metadata.namespace) : undefined
  const body = { ...input, apiVersion: apiVersionOf(type), kind: type.kind, metadata }
  const page = await writeObject(scope.user, type, 'POST', withParams(resourcePath(type, { namespace }), req), body)
  return formatted(scope, type, page)
}

export async function updateAnswer(scope: ClusterScope, ref: ObjectRef, req: Request): Promise<SteveResource> {
  const path = withParams(resourcePath(ref.type, { namespace: ref.namespace, name: ref.name }), req)
  const contentType = (req.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase()
  let page: TablePage
  if (req.method === 'PATCH') {
    const patch = await jsonBody(req, MAX_WRITE_BYTES)
    const kind = contentType === 'application/json-patch+json' || contentType === 'application/merge-patch+json' ? contentType : 'application/strategic-merge-patch+json'
    page = await writeObject(scope.user, ref.type, 'PATCH', path, kind === 'application/strategic-merge-patch+json' && isRecord(patch) ? fromUnderscore(patch) : patch, kind)
  } else {
    const input = fromUnderscore(await objectBody(req))
    const metadata = metadataOf(input)
    if (typeof metadata.resourceVersion !== 'string' || metadata.resourceVersion === '') {
      throw SteveError.of('InvalidBodyContent', 'metadata.resourceVersion is required for update', 'metadata.resourceVersion')
    }
    metadata.name ??= ref.name
    if (ref.namespace) metadata.namespace ??= ref.namespace
    page = await writeObject(scope.user, ref.type, 'PUT', path, { ...input, apiVersion: apiVersionOf(ref.type), kind: ref.type.kind, metadata })
  }
  return formatted(scope, ref.type, page)
}

/** The object as it stands after the DELETE (deletion pending), or undefined once it is gone (204). */
export async function deleteAnswer(scope: ClusterScope, ref: ObjectRef, req: Request): Promise<SteveResource | undefined> {
  await scope.user.request('DELETE', withParams(resourcePath(ref.type, { namespace: ref.namespace, name: ref.name }), req), {
    body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
  })
  try {
    return await formatted(scope, ref.type, await getObject(scope.user, ref.type, ref.name, ref.namespace))
  } catch (e) {
    if (isNotFound(e) || isForbidden(e)) return undefined
    throw e
  }
}

async function formatted(scope: ClusterScope, type: SteveType, page: TablePage, fields: { exclude?: readonly FieldPath[]; include?: readonly FieldPath[] } = {}): Promise<SteveResource> {
  const row = page.rows[0]
  if (!row) throw new SteveError(502, 'ServerError', `the cluster answered no ${type.kind} object`)
  rememberColumns(scope, type, page.columns)
  const namespace = isRecord(row.object.metadata) && typeof row.object.metadata.namespace === 'string' ? row.object.metadata.namespace : undefined
  const verbs = (await verbsOn(scope, type, LINK_VERBS))(namespace)
  return formatResource(row.object, { type: typeRef(type), v1Url: scope.v1Url, kubeUrl: scope.kubeUrl, verbs, ...(row.cells ? { cells: row.cells } : {}), ...fields })
}

async function objectBody(req: Request): Promise<Obj> {
  const body = await jsonBody(req, MAX_WRITE_BYTES)
  if (!isRecord(body)) throw SteveError.of('InvalidBodyContent', 'the body must be a JSON object')
  return body
}

function metadataOf(input: Obj): Obj {
  const metadata = isRecord(input.metadata) ? { ...input.metadata } : {}
  return metadata
}

/** Steve's reserved keys travel as `_id`, `_type`, `_links`, `_actions`; Kubernetes knows them by their names. */
function fromUnderscore(input: Obj): Obj {
  const out: Obj = { ...input }
  for (const key of RESERVED_KEYS) {
    const hidden = out[`_${key}`]
    const had = Object.hasOwn(out, `_${key}`)
    delete out[`_${key}`]
    delete out[key]
    if (had) out[key] = hidden
  }
  return out
}

function withParams(path: string, req: Request): string {
  const from = new URL(req.url).searchParams
  const q = new URLSearchParams()
  for (const name of WRITE_PARAMS) for (const value of from.getAll(name)) q.append(name, value)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}
