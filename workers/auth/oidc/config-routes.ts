import { Hono } from 'hono'
import { userIdOf } from '../authenticator.ts'
import * as v from 'valibot'
import type { AppEnv } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import { mgmt } from '../../../protocol/kube/index.ts'
import { mgmtObject } from '../../mgmt/management.ts'
import { parseBody } from '../../norman/body.ts'
import { metaFields, resource, type Norman } from '../../norman/format.ts'
import { listResponse } from '../../norman/query.ts'
import { edgeKube, linksFor, userKube, type V3Context } from '../../v3/context.ts'
import { PROVIDER_LABEL, removeTokens, tokensWhere } from '../tokens.ts'
import { CLIENT_SECRET_REF, DEFAULT_GROUPS_CLAIM, DEFAULT_SCOPE, issuerProblem, PROVIDER, storeClientSecret, type AuthConfigObject } from './config.ts'
import { discover } from './provider.ts'

const LOCAL = 'local'
/** Never shown: secret references are no business of a reader, and the values are never in the CR. */
const HIDDEN = new Set(['apiVersion', 'kind', 'metadata', 'clientSecret', 'privateKey'])
const TYPES: Record<string, string> = { [LOCAL]: 'localConfig', [PROVIDER]: 'genericOIDCConfig' }

/** `local` needs no CR: it is always there and always enabled. */
const AUTH_CONFIG = mgmt('AuthConfig')
const localConfig = (): AuthConfigObject => mgmtObject('AuthConfig', { metadata: { name: LOCAL }, type: 'localConfig', enabled: true, accessMode: 'unrestricted' })

function present(c: V3Context, obj: AuthConfigObject): Norman {
  const id = obj.metadata.name ?? ''
  const fields: Record<string, unknown> = { ...metaFields(obj.metadata), name: id }
  for (const [k, val] of Object.entries(obj)) if (!HIDDEN.has(k)) fields[k] = val
  if (id === PROVIDER) {
    fields.scope ||= DEFAULT_SCOPE
    fields.groupsClaim ||= DEFAULT_GROUPS_CLAIM
    fields.accessMode ||= 'unrestricted'
    fields.enabled = obj.enabled === true
  }
  const type = TYPES[id] ?? (typeof obj.type === 'string' && obj.type ? obj.type : 'authConfig')
  return resource(type, id, fields, linksFor(c, 'authconfigs'), id === PROVIDER ? ['disable'] : [])
}

const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)))
/** Clients send whole resources back (id, links, …): known fields are checked, the rest ignored. */
const writeBody = v.looseObject({
  enabled: v.optional(v.boolean()),
  issuer: text(2048),
  clientId: text(512),
  clientSecret: text(4096),
  scope: text(1024),
  groupsClaim: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:/-]{0,128}$/, 'groupsClaim: up to 128 of A-Z a-z 0-9 _ . : / -'))),
  rancherUrl: text(2048),
  accessMode: v.optional(v.picklist(['unrestricted', 'restricted', 'required'])),
  allowedPrincipalIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(1000))),
})
type WriteBody = v.InferOutput<typeof writeBody>
const FIELDS = ['enabled', 'issuer', 'clientId', 'scope', 'groupsClaim', 'rancherUrl', 'accessMode', 'allowedPrincipalIds'] as const

async function validate(next: AuthConfigObject): Promise<void> {
  const bad = (msg: string) => new ApiError(422, msg, 'InvalidBodyContent')
  if (next.issuer) {
    const problem = issuerProblem(next.issuer)
    if (problem) throw bad(problem)
  }
  if (next.rancherUrl) {
    let url: URL | undefined
    try {
      url = new URL(next.rancherUrl)
    } catch {
      /* checked below */
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw bad('rancherUrl must be an absolute http(s) URL')
  }
  if (next.scope && !next.scope.split(/\s+/).includes('openid')) throw bad('scope must include openid')
  if (next.enabled !== true) return
  if (!next.issuer) throw bad('issuer is required to enable the provider')
  if (!next.clientId) throw bad('clientId is required to enable the provider')
  if (!next.clientSecret) throw bad('clientSecret is required to enable the provider')
  try {
    await discover(next.issuer)
  } catch (err) {
    throw bad(`issuer: ${err instanceof ApiError ? err.message : 'discovery failed'}`)
  }
}

/** Every genericoidc session and key stops working: the provider no longer vouches for them. */
async function revokeProviderTokens(c: V3Context): Promise<void> {
  const edge = edgeKube(c)
  const names = (await tokensWhere(edge, `${PROVIDER_LABEL}=${PROVIDER}`)).map((t) => t.metadata.name ?? '').filter(Boolean)
  await removeTokens(c.env, edge, names)
}

/**
 * Creates or updates `genericoidc` as the caller, so the apiserver's RBAC decides who may. A new client
 * secret is stored (as the edge) only after a dry run of the same write has been allowed; the CR keeps
 * just a reference to it.
 */
async function write(c: V3Context, id: string, body: WriteBody): Promise<Response> {
  if (id !== PROVIDER) throw new ApiError(422, id === LOCAL ? 'the local provider is always enabled and has nothing to configure' : `unknown auth provider "${id}"`, 'InvalidBodyContent')
  const kube = userKube(c)
  const existing = await kube.find<AuthConfigObject>(AUTH_CONFIG, PROVIDER)
  const next: AuthConfigObject = existing
    ? { ...existing, metadata: { ...existing.metadata } }
    : mgmtObject('AuthConfig', { metadata: { name: PROVIDER, annotations: { 'field.cattle.io/creatorId': userIdOf(c.var.principal) } }, type: 'genericOIDCConfig' })
  for (const key of FIELDS) if (body[key] !== undefined) (next as Record<string, unknown>)[key] = body[key]
  const newSecret = body.clientSecret && body.clientSecret !== CLIENT_SECRET_REF ? body.clientSecret : undefined
  if (newSecret) next.clientSecret = CLIENT_SECRET_REF
  await validate(next)
  const save = (dryRun: boolean) => (existing ? kube.update(AUTH_CONFIG, next, { dryRun }) : kube.create(AUTH_CONFIG, next, { dryRun }))
  if (newSecret) {
    await save(true)
    await storeClientSecret(edgeKube(c), newSecret)
  }
  const saved = await save(false)
  if (saved.enabled !== true) await revokeProviderTokens(c)
  return c.json(present(c, saved), existing ? 200 : 201)
}

async function getConfig(c: V3Context, id: string): Promise<AuthConfigObject> {
  if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(id)) throw new ApiError(404, `authConfig "${id}" not found`)
  const obj = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, id)
  if (obj) return obj
  if (id === LOCAL) return localConfig()
  throw new ApiError(404, `authConfig "${id}" not found`)
}

/** `/v3/authconfigs`: Rancher's auth provider configs; `local` always listed, `genericoidc` writable. */
export const oidcConfig = new Hono<AppEnv>()
  .get('/', async (c) => {
    const items = (await userKube(c).list<AuthConfigObject>(AUTH_CONFIG)).items
    if (!items.some((o) => o.metadata.name === LOCAL)) items.push(localConfig())
    const data = items.map((o) => present(c, o))
    return c.json(listResponse('authConfig', data, new URL(c.req.url), linksFor(c, 'authconfigs')))
  })
  .get('/:id', async (c) => c.json(present(c, await getConfig(c, c.req.param('id')))))
  .put('/:id', async (c) => write(c, c.req.param('id'), await parseBody(c.req.raw, writeBody)))
  .post('/', async (c) => {
    const body = await parseBody(c.req.raw, writeBody)
    const id = typeof body.id === 'string' ? body.id : typeof body.name === 'string' ? body.name : ''
    return write(c, id, body)
  })
  .post('/:id', async (c) => {
    if (c.req.query('action') !== 'disable') throw new ApiError(422, 'expected ?action=disable', 'InvalidAction')
    return write(c, c.req.param('id'), { enabled: false })
  })
