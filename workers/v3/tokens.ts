import { Hono } from 'hono'
import * as v from 'valibot'
import type { Token } from '../../protocol/crds/index.ts'
import { mgmt, resourcePath } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { userIdOf, type Principal } from '../identity/authenticator.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { minutesSetting } from '../mgmt/settings.ts'
import { metaFields, resource, type Norman } from '../norman/format.ts'
import { parseBody } from '../norman/body.ts'
import { listResponse } from '../norman/query.ts'
import { issueToken, removeTokens, tokensWhere, USER_ID_LABEL } from '../identity/tokens.ts'
import { clearSessionCookie } from '../identity/cookie.ts'
import { edgeKube, linksFor, userKube, type V3Context } from './context.ts'
import { subjectOf } from './subject.ts'

type TokenObject = Token & KubeObject
const TOKEN = mgmt('Token')

/** Norman's token: the principal as its id, never the stored hash. */
export function presentToken(c: V3Context, t: Token, extra: Record<string, unknown> = {}): Norman {
  const { token: _hash, userPrincipal, groupPrincipals: _g, apiVersion: _a, kind: _k, metadata, ...rest } = t
  const expiresAt = rest.expiresAt ? Date.parse(rest.expiresAt) : 0
  return resource('token', metadata.name ?? '', {
    ...metaFields(metadata),
    ...rest,
    name: metadata.name,
    userPrincipal: userPrincipal?.metadata?.name ?? null,
    clusterId: rest.clusterName || null,
    expired: expiresAt > 0 && expiresAt < Date.now(),
    current: (c.var.principal as Principal | undefined)?.token?.name === metadata.name,
    ...extra,
  }, linksFor(c, 'tokens'))
}

const createBody = v.object({
  description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  ttl: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  clusterId: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,63}$/)))),
})

async function ownToken(c: V3Context, id: string): Promise<TokenObject> {
  const me = userIdOf(c.var.principal)
  const token = await edgeKube(c).find<TokenObject>(TOKEN, id)
  if (token && token.userId === me) return token
  // Someone else's token: only callers whose RBAC allows deleting tokens (admins) may see it.
  if (token) {
    try {
      await userKube(c).request('DELETE', `${resourcePath(TOKEN, { name: id })}?dryRun=All`)
      return token
    } catch {
      /* fall through: a token the caller may not touch does not exist for them */
    }
  }
  throw new ApiError(404, `token "${id}" not found`)
}

/** `/v3/tokens`: each user's own tokens, kept by the edge (Kubernetes cannot scope a list to "mine"). */
export const tokens = new Hono<AppEnv>()
  .get('/', async (c) => {
    const me = userIdOf(c.var.principal)
    const mine = await tokensWhere(edgeKube(c), `${USER_ID_LABEL}=${me}`)
    const data = mine.map((t) => presentToken(c, t))
    return c.json(listResponse('token', data, new URL(c.req.url), linksFor(c, 'tokens'), ['logout']))
  })
  .post('/', async (c) => {
    const action = c.req.query('action')
    if (action === 'logout') {
      const name = c.var.principal.token?.name
      if (name) await removeTokens(c.env, edgeKube(c), [name])
      clearSessionCookie(c)
      return c.body(null, 200)
    }
    if (action !== undefined) throw new ApiError(422, `unknown action "${action}"`, 'InvalidAction')
    const body = await parseBody(c.req.raw, createBody)
    const principal = c.var.principal
    if (body.clusterId) {
      // The caller must be able to see the cluster a token is scoped to.
      await userKube(c).get(mgmt('Cluster'), body.clusterId)
    }
    const edge = edgeKube(c)
    const maxMinutes = await minutesSetting(edge, 'auth-token-max-ttl-minutes')
    let ttlMs = body.ttl ?? 0
    if (maxMinutes > 0 && (ttlMs === 0 || ttlMs > maxMinutes * 60_000)) ttlMs = maxMinutes * 60_000
    const issued = await issueToken(c.env, edge, {
      kind: 'api-key',
      subject: subjectOf(principal),
      ttlMs,
      ...(body.clusterId ? { clusterId: body.clusterId } : {}),
      description: body.description ?? '',
    })
    return c.json(presentToken(c, issued.token, { token: issued.value }), 201)
  })
  .get('/:id', async (c) => c.json(presentToken(c, await ownToken(c, c.req.param('id')))))
  .delete('/:id', async (c) => {
    const token = await ownToken(c, c.req.param('id'))
    await removeTokens(c.env, edgeKube(c), [token.metadata.name ?? ''])
    return c.json(presentToken(c, token))
  })
