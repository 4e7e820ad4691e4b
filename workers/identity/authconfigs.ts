// `/v3/authconfigs`: Rancher's auth provider configs, one per provider (providers/index.ts). Reads are
// the caller's (RBAC decides); a provider that has nothing to configure is shown from its fallback.
import { Hono } from 'hono'
import { mgmt } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { jsonBody } from '../norman/body.ts'
import { metaFields, resource, type Norman } from '../norman/format.ts'
import { listResponse } from '../norman/query.ts'
import { linksFor, userKube, type V3Context } from '../v3/context.ts'
import type { AuthConfigObject, IdentityProvider } from './provider.ts'
import { PROVIDERS, providerById } from './providers/index.ts'

const AUTH_CONFIG = mgmt('AuthConfig')
/** Never shown: secret references are no business of a reader, and the values are never in the CR. */
const HIDDEN = new Set(['apiVersion', 'kind', 'metadata', 'clientSecret', 'privateKey', 'serviceAccountPassword', 'spKey'])

function present(c: V3Context, obj: AuthConfigObject): Norman {
  const id = obj.metadata.name ?? ''
  const provider = providerById(id)
  const fields: Record<string, unknown> = { ...metaFields(obj.metadata), name: id }
  for (const [k, val] of Object.entries(obj)) if (!HIDDEN.has(k)) fields[k] = val
  Object.assign(fields, provider?.config.present(obj))
  const type = provider?.config.type ?? (typeof obj.type === 'string' && obj.type ? obj.type : 'authConfig')
  return resource(type, id, fields, linksFor(c, 'authconfigs'), Object.keys(provider?.config.actions ?? {}))
}

function provider(id: string): IdentityProvider {
  const p = providerById(id)
  if (!p) throw new ApiError(422, `unknown auth provider "${id}"`, 'InvalidBodyContent')
  return p
}

async function write(c: V3Context, id: string, body: unknown): Promise<Response> {
  const p = provider(id)
  if (!p.config.write) throw new ApiError(422, `the ${id} provider is always enabled and has nothing to configure`, 'InvalidBodyContent')
  const { saved, created } = await p.config.write(c, body)
  return c.json(present(c, saved), created ? 201 : 200)
}

async function getConfig(c: V3Context, id: string): Promise<AuthConfigObject> {
  if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(id)) throw new ApiError(404, `authConfig "${id}" not found`)
  const obj = (await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, id)) ?? providerById(id)?.config.fallback?.()
  if (!obj) throw new ApiError(404, `authConfig "${id}" not found`)
  return obj
}

export const authConfigs = new Hono<AppEnv>()
  .get('/', async (c) => {
    const items = (await userKube(c).list<AuthConfigObject>(AUTH_CONFIG)).items
    for (const p of PROVIDERS) {
      const fallback = p.config.fallback?.()
      if (fallback && !items.some((o) => o.metadata.name === p.id)) items.push(fallback)
    }
    const data = items.map((o) => present(c, o))
    return c.json(listResponse('authConfig', data, new URL(c.req.url), linksFor(c, 'authconfigs')))
  })
  .get('/:id', async (c) => c.json(present(c, await getConfig(c, c.req.param('id')))))
  .put('/:id', async (c) => write(c, c.req.param('id'), await jsonBody(c.req.raw)))
  .post('/', async (c) => {
    const body = await jsonBody(c.req.raw)
    const named = body && typeof body === 'object' ? (body as { id?: unknown; name?: unknown }) : {}
    const id = typeof named.id === 'string' ? named.id : typeof named.name === 'string' ? named.name : ''
    return write(c, id, body)
  })
  .post('/:id', async (c) => {
    const id = c.req.param('id')
    const action = c.req.query('action') ?? ''
    const run = provider(id).config.actions?.[action]
    if (!run) throw new ApiError(422, `unknown action "${action}" for auth provider ${id}`, 'InvalidAction')
    return c.json(present(c, await run(c)))
  })
