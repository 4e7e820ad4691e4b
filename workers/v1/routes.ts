// Steve's `/v1` for one cluster, as a Hono sub-app mounted twice (workers/app.ts): at `/v1` for the
// management cluster (`local`; its RBAC decides, as for `/v3`) and at `/k8s/clusters/<id>/v1` for any
// cluster, behind the same checks as the Kubernetes proxy there (the credential's clusters, then
// assertClusterAccess). Routes follow Steve's: `/<type>`, `/<type>/<namespace-or-name>` (a namespace for
// namespaced types, a name otherwise), `/<type>/<namespace>/<name>`; ids singular or plural.
import { Hono } from 'hono'
import { formatCollection, SteveError, type SteveResource } from '../../protocol/api/steve/index.ts'
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { assertClusterAccess } from '../routes/cluster-access.ts'
import { CLUSTER_ID } from '../routes/k8s-proxy.ts'
import { countResource } from './counts.ts'
import { schemaDefinition } from './definitions.ts'
import { typeFor } from './discovery.ts'
import { onSteveError } from './errors.ts'
import { listAnswer } from './list.ts'
import { createAnswer, deleteAnswer, getAnswer, updateAnswer, type ObjectRef } from './objects.ts'
import { schemaFor, schemasFor } from './schemas.ts'
import { subscribeAnswer } from './subscribe.ts'
import { guardProxied } from '../identity/stream-guard.ts'
import { clusterScope, type V1Context, type V1Env } from './scope.ts'

/** `/v1` of the management cluster. */
export const v1 = steveApi(async (c) => {
  const { clusters } = c.var.principal
  if (clusters !== '*' && !clusters.includes(LOCAL_CLUSTER)) {
    throw SteveError.of('PermissionDenied', `this token is scoped to cluster ${clusters.join(', ')}: use it at /k8s/clusters/${clusters[0]}/v1`)
  }
  return { cluster: LOCAL_CLUSTER, v1Path: '/v1' }
})

/** `/k8s/clusters/:id/v1` of any cluster. */
export const clusterV1 = steveApi(async (c) => {
  const id = c.req.param('id') ?? ''
  if (!CLUSTER_ID.test(id)) throw SteveError.of('NotFound', `no cluster "${id}"`)
  const { clusters } = c.var.principal
  if (clusters !== '*' && !clusters.includes(id)) throw SteveError.of('PermissionDenied', `this credential is not valid for cluster ${id}`)
  await assertClusterAccess(c.var.management, c.var.principal, id)
  return { cluster: id, v1Path: `/k8s/clusters/${id}/v1` }
})

type Target = { cluster: string; v1Path: string }

function steveApi(target: (c: V1Context) => Promise<Target>): Hono<V1Env> {
  const app = new Hono<V1Env>()
  app.onError(onSteveError)
  app.use('*', async (c, next) => {
    const { cluster, v1Path } = await target(c)
    c.set('scope', clusterScope(c, cluster, v1Path))
    await next()
  })

  // The API root, as Steve lists it: one apiRoot with the links a client starts from.
  app.get('/', (c) => {
    const root = c.var.scope.v1Url
    const apiRoot = {
      id: 'v1',
      type: 'apiRoot',
      links: { self: root, schemas: `${root}/schemas`, counts: `${root}/counts`, subscribe: `${root}/subscribe`.replace(/^http/, 'ws') },
      apiVersion: { group: '', version: 'v1', path: new URL(root).pathname },
    }
    return c.json(formatCollection([apiRoot] as unknown as SteveResource[], { resourceType: 'apiRoot', selfUrl: c.req.url }))
  })
  app.get('/schemas', async (c) => {
    const data = (await schemasFor(c.var.scope)) as unknown as SteveResource[]
    return c.json(formatCollection(data, { resourceType: 'schema', selfUrl: c.req.url }))
  })
  app.get('/schemas/:id', async (c) => c.json(await schemaFor(c.var.scope, c.req.param('id'))))
  app.get('/schemaDefinitions/:id', async (c) => {
    const scope = c.var.scope
    const schema = await schemaFor(scope, c.req.param('id'))
    return c.json(await schemaDefinition(scope, await typeFor(scope, schema.id)))
  })
  app.get('/counts', async (c) => {
    const sources = { index: 0, tunnel: 0 }
    const count = (await countResource(c.var.scope, sources)) as unknown as SteveResource
    c.header('x-drover-counts', `index=${sources.index}, tunnel=${sources.tunnel}`)
    return c.json(formatCollection([count], { resourceType: 'count', selfUrl: c.req.url }))
  })
  app.get('/counts/:id', async (c) => {
    if (c.req.param('id') !== 'count') throw SteveError.of('NotFound', `count ${c.req.param('id')} not found`)
    return c.json(await countResource(c.var.scope))
  })

  // Before `/:type`: a live socket, re-checked against the credential (a revoked token closes it, 1008).
  app.get('/subscribe', (c) => guardProxied(subscribeAnswer(c), c.req.raw, c.var.principal, c.var.authenticator))
  app.get('/:type', (c) => list(c, undefined))
  app.post('/:type', async (c) => c.json(await createAnswer(c.var.scope, await typeFor(c.var.scope, c.req.param('type')), undefined, c.req.raw), 201))

  // A namespace for namespaced types (list, create), a name for cluster-scoped ones (the object).
  app.on(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/:type/:nameOrNamespace', async (c) => {
    const scope = c.var.scope
    const type = await typeFor(scope, c.req.param('type'))
    const segment = c.req.param('nameOrNamespace')
    if (type.namespaced) {
      if (c.req.method === 'GET') return list(c, segment)
      if (c.req.method === 'POST') return c.json(await createAnswer(scope, type, segment, c.req.raw), 201)
      throw SteveError.of('MethodNotAllowed', `${c.req.method} needs an object: /${type.pluralId}/${segment}/<name>`)
    }
    return objectRoute(c, { type, namespace: undefined, name: segment })
  })
  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/:type/:namespace/:name', async (c) => {
    const type = await typeFor(c.var.scope, c.req.param('type'))
    if (!type.namespaced) throw SteveError.of('NotFound', `${type.id} is not namespaced: its objects are /${type.pluralId}/<name>`)
    return objectRoute(c, { type, namespace: c.req.param('namespace'), name: c.req.param('name') })
  })
  app.all('*', (c) => {
    throw SteveError.of('NotFound', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)
  })
  return app
}

async function list(c: V1Context, namespace: string | undefined): Promise<Response> {
  const scope = c.var.scope
  const type = await typeFor(scope, c.req.param('type') ?? '')
  const { collection, source } = await listAnswer(scope, { type, namespace, params: new URL(c.req.url).searchParams, selfUrl: c.req.url })
  c.header('x-drover-list', source)
  return c.json(collection)
}

async function objectRoute(c: V1Context, ref: ObjectRef): Promise<Response> {
  const scope = c.var.scope
  switch (c.req.method) {
    case 'GET':
      return c.json(await getAnswer(scope, ref, new URL(c.req.url).searchParams))
    case 'PUT':
    case 'PATCH':
      return c.json(await updateAnswer(scope, ref, c.req.raw))
    case 'DELETE': {
      const left = await deleteAnswer(scope, ref, c.req.raw)
      return left ? c.json(left) : c.body(null, 204)
    }
    default:
      throw SteveError.of('MethodNotAllowed', `${c.req.method} is not served for one object`)
  }
}
