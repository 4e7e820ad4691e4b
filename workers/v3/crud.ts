import { Hono } from 'hono'
import { userIdOf } from '../identity/authenticator.ts'
import { isForbidden, mgmt } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { mgmtObject, type KubeObject } from '../mgmt/management.ts'
import { metaFields, resource, type Norman } from '../norman/format.ts'
import { parseBody } from '../norman/body.ts'
import { listResponse } from '../norman/query.ts'
import * as v from 'valibot'
import { randomId } from '../identity/compare.ts'
import { linksFor, userKube, type V3Context } from './context.ts'
import { crdFieldsFrom, fieldsOf, idOf, locate, type ResourceDef } from './resources.ts'

const stringMap = v.optional(v.record(v.string(), v.string()))
/** The shape every write body shares; the per-field values are checked by the apiserver's CRD schema. */
export const writeBody = v.looseObject({ labels: stringMap, annotations: stringMap })

export interface Hooks {
  /** The objects a list starts from (before filters); default: list as the caller. */
  list?(c: V3Context): Promise<KubeObject[]>
  /** Read one object; default: get as the caller. */
  get?(c: V3Context, id: string): Promise<KubeObject>
  /** Extra fields for the response (e.g. derived state). */
  present?(c: V3Context, obj: KubeObject, fields: Record<string, unknown>): Record<string, unknown>
  /** Checks and additions before a create or update is sent; throw ApiError to refuse. */
  beforeWrite?(c: V3Context, obj: KubeObject, body: Record<string, unknown>, existing?: KubeObject): Promise<void>
  afterCreate?(c: V3Context, obj: KubeObject, body: Record<string, unknown>): Promise<Record<string, unknown> | void>
  afterDelete?(c: V3Context, obj: KubeObject): Promise<void>
  actions?: Record<string, (c: V3Context, id: string) => Promise<Response>>
  collectionActions?: Record<string, (c: V3Context) => Promise<Response>>
  /** Namespaces to list in when the caller may not list across all of them. */
  fallbackNamespaces?(c: V3Context): Promise<string[]>
}

export function present(c: V3Context, def: ResourceDef, obj: KubeObject, hooks: Hooks = {}): Norman {
  let fields = { ...metaFields(obj.metadata), ...fieldsOf(def, obj) }
  if (hooks.present) fields = hooks.present(c, obj, fields)
  return resource(def.type, idOf(def, obj), fields, linksFor(c, def.collection), [...(def.actions ?? [])])
}

async function listAsCaller(c: V3Context, def: ResourceDef, hooks: Hooks): Promise<KubeObject[]> {
  const kube = userKube(c)
  const type = mgmt(def.kind)
  const url = new URL(c.req.url)
  const scope = def.namespaced && def.namespaceFor ? tryNamespace(def, url) : undefined
  if (scope) return (await kube.list<KubeObject>(type, { namespace: scope })).items
  try {
    return (await kube.list<KubeObject>(type)).items
  } catch (err) {
    if (!(isForbidden(err) && def.namespaced && hooks.fallbackNamespaces)) throw err
  }
  const namespaces = await hooks.fallbackNamespaces(c)
  const lists = await Promise.all(namespaces.map((ns) => kube.list<KubeObject>(type, { namespace: ns }).then((l) => l.items, () => [])))
  return lists.flat()
}

/** The namespace a `clusterId=` / `projectId=` filter pins a namespaced list to. */
function tryNamespace(def: ResourceDef, url: URL): string | undefined {
  const body = Object.fromEntries(url.searchParams)
  if (!('clusterId' in body) && !('projectId' in body)) return undefined
  try {
    return def.namespaceFor!(body)
  } catch {
    return undefined
  }
}

export async function getAsCaller(c: V3Context, def: ResourceDef, id: string): Promise<KubeObject> {
  const { namespace, name } = locate(def, id)
  return userKube(c).get<KubeObject>(mgmt(def.kind), name, namespace)
}

/** GET/POST/PUT/DELETE for one resource type, as the caller: the management apiserver's RBAC decides. */
export function crudRoutes(def: ResourceDef, hooks: Hooks = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const get = (c: V3Context, id: string) => (hooks.get ? hooks.get(c, id) : getAsCaller(c, def, id))

  app.get('/', async (c) => {
    const objects = hooks.list ? await hooks.list(c) : await listAsCaller(c, def, hooks)
    const data = objects.map((o) => present(c, def, o, hooks))
    return c.json(listResponse(def.type, data, new URL(c.req.url), linksFor(c, def.collection), [...(def.collectionActions ?? [])]))
  })

  app.post('/', async (c) => {
    const action = c.req.query('action')
    if (action !== undefined) {
      const handler = hooks.collectionActions?.[action]
      if (!handler) throw new ApiError(422, `unknown action "${action}"`, 'InvalidAction')
      return handler(c)
    }
    const body = await parseBody(c.req.raw, writeBody)
    const namespace = def.namespaced ? def.namespaceFor!(body) : undefined
    const name = def.generate ? `${def.generate}${randomId(5)}` : typeof body.name === 'string' ? body.name : ''
    if (!name) throw new ApiError(422, 'name is required', 'MissingRequired')
    const annotations: Record<string, string> = { ...body.annotations, 'field.cattle.io/creatorId': userIdOf(c.var.principal) }
    const obj = mgmtObject(def.kind, {
      metadata: { name, ...(namespace ? { namespace } : {}), labels: body.labels ?? {}, annotations },
      ...crdFieldsFrom(def, body),
    }) as KubeObject
    await hooks.beforeWrite?.(c, obj, body)
    const created = await userKube(c).create<KubeObject>(mgmt(def.kind), obj)
    const extra = (await hooks.afterCreate?.(c, created, body)) ?? {}
    return c.json({ ...present(c, def, created, hooks), ...extra }, 201)
  })

  app.get('/:id', async (c) => c.json(present(c, def, await get(c, c.req.param('id')), hooks)))

  app.post('/:id', async (c) => {
    const action = c.req.query('action')
    const handler = action === undefined ? undefined : hooks.actions?.[action]
    if (!handler) throw new ApiError(422, action === undefined ? 'POST to a resource needs ?action=' : `unknown action "${action}"`, 'InvalidAction')
    return handler(c, c.req.param('id'))
  })

  app.put('/:id', async (c) => {
    const existing = await get(c, c.req.param('id'))
    const body = await parseBody(c.req.raw, writeBody)
    const fields = crdFieldsFrom(def, body)
    const next: KubeObject = { ...existing, metadata: { ...existing.metadata } }
    if (body.labels) next.metadata.labels = body.labels
    if (body.annotations) next.metadata.annotations = { ...body.annotations, ...pick(existing.metadata.annotations, 'field.cattle.io/creatorId') }
    for (const [k, val] of Object.entries(fields)) {
      if (k === 'spec') next.spec = { ...(existing.spec as object), ...(val as object) }
      else next[k] = val
    }
    await hooks.beforeWrite?.(c, next, body, existing)
    // resourceVersion rides along: a concurrent change gives 409, never a silent overwrite.
    const updated = await userKube(c).update<KubeObject>(mgmt(def.kind), next)
    return c.json(present(c, def, updated, hooks))
  })

  app.delete('/:id', async (c) => {
    const existing = await get(c, c.req.param('id'))
    const { namespace, name } = locate(def, c.req.param('id'))
    await userKube(c).delete(mgmt(def.kind), name, { namespace })
    await hooks.afterDelete?.(c, existing)
    return c.json(present(c, def, existing, hooks))
  })

  return app
}

function pick(map: Record<string, string> | undefined, key: string): Record<string, string> {
  return map?.[key] ? { [key]: map[key] } : {}
}

