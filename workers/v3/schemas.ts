import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { linksFor, type V3Context } from './context.ts'
import { RESOURCES, type ResourceDef } from './resources.ts'

const EXTRA: ResourceDef[] = [
  { type: 'user', collection: 'users', kind: 'User', namespaced: false, writable: ['username', 'password', 'name', 'description', 'mustChangePassword', 'enabled'], actions: ['setpassword'], collectionActions: ['changepassword'] },
  { type: 'token', collection: 'tokens', kind: 'Token', namespaced: false, writable: ['description', 'ttl', 'clusterId'], collectionActions: ['logout'] },
  { type: 'authConfig', collection: 'authconfigs', kind: 'AuthConfig', namespaced: false, writable: ['enabled', 'accessMode', 'allowedPrincipalIds', 'clientId', 'clientSecret', 'issuer', 'scope', 'groupsClaim', 'rancherUrl', 'hostname', 'tls'] },
]
const ALL: ResourceDef[] = [...Object.values(RESOURCES), ...EXTRA]

function schema(c: V3Context, def: ResourceDef) {
  const base = linksFor(c, 'schemas').base
  return {
    id: def.type,
    type: 'schema',
    baseType: 'schema',
    pluralName: def.collection,
    links: { self: `${base}/schemas/${def.type}`, collection: `${base}/${def.collection}` },
    collectionMethods: ['GET', 'POST'],
    resourceMethods: ['GET', 'PUT', 'DELETE'],
    collectionActions: Object.fromEntries((def.collectionActions ?? []).map((a) => [a, {}])),
    resourceActions: Object.fromEntries((def.actions ?? []).map((a) => [a, {}])),
    resourceFields: Object.fromEntries(def.writable.filter((f) => f !== 'labels' && f !== 'annotations').map((f) => [f, { type: 'string', create: true, update: true }])),
  }
}

/** `/v3/schemas`: what Rancher clients read to discover types, links and actions. */
export const schemas = new Hono<AppEnv>()
  .get('/', (c) => {
    const data = ALL.map((d) => schema(c, d))
    return c.json({ type: 'collection', resourceType: 'schema', links: { self: `${linksFor(c, 'schemas').base}/schemas` }, actions: {}, pagination: { limit: data.length, total: data.length }, data })
  })
  .get('/:id', (c) => {
    const def = ALL.find((d) => d.type === c.req.param('id') || d.collection === c.req.param('id'))
    if (!def) throw new ApiError(404, `no schema "${c.req.param('id')}"`)
    return c.json(schema(c, def))
  })
