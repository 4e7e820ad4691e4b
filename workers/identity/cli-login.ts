// Browser logins for the command line (`drover login` with OIDC, GitHub, SAML): RFC 8252's loopback
// redirect with PKCE. The CLI listens on 127.0.0.1:<port> and opens
// `/v3-public/cliLogin?provider=<id>&port=<port>&state=<s>&challenge=<S256(verifier)>`; the browser logs in
// with the provider as usual (or already has a session), comes back to `/finish`, and is sent to the
// loopback port with a short-lived one-time code; the CLI trades code + verifier for its own session at
// `POST /v3-public/cliLogin/token`. The code is sealed by the edge (nothing is stored) and useless without
// the verifier, which never leaves the CLI; the port is on the user's own machine.
import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as v from 'valibot'
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import { mgmt } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { minutesSetting } from '../mgmt/settings.ts'
import { parseBody } from '../norman/body.ts'
import type { V3Context } from '../v3/context.ts'
import { presentToken } from '../v3/tokens.ts'
import { credentialFrom } from './authenticator.ts'
import { FLOW_TTL_S, openFlowClaims, sealFlowClaims } from './flow-cookie.ts'
import { providerById } from './providers/index.ts'
import { issueToken } from './tokens.ts'
import type { UserObject } from './users.ts'

const FLOW = 'cli-login'
const CODE = 'cli-code'
const COOKIE = 'drover-cli-login'
const BASE = '/v3-public/cliLogin'
/** The code goes straight from the browser to the waiting CLI: it has a minute to trade it. */
export const CODE_TTL_MS = 60_000
/** Providers whose login takes a username and password: the CLI asks for those itself. */
const PASSWORD_PROVIDERS = new Set(['local', 'openldap', 'freeipa', 'activedirectory'])
const B64URL = /^[A-Za-z0-9_-]+$/

const startQuery = v.object({
  provider: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,63}$/, 'provider: a provider id such as genericoidc')),
  port: v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'port: a number'), v.transform(Number), v.minValue(1024, 'port: 1024–65535'), v.maxValue(65535, 'port: 1024–65535')),
  state: v.pipe(v.string(), v.minLength(16, 'state: at least 16 characters'), v.maxLength(128), v.regex(B64URL, 'state: base64url')),
  challenge: v.pipe(v.string(), v.length(43, 'challenge: the base64url SHA-256 of the verifier (43 characters)'), v.regex(B64URL, 'challenge: base64url')),
})

const tokenBody = v.object({
  code: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  verifier: v.pipe(v.string(), v.minLength(43, 'verifier: 43–128 characters'), v.maxLength(128), v.regex(B64URL, 'verifier: base64url')),
})

function query(c: V3Context): v.InferOutput<typeof startQuery> {
  const parsed = v.safeParse(startQuery, c.req.query())
  if (!parsed.success) throw new ApiError(422, parsed.issues[0].message, 'InvalidFormat')
  return parsed.output
}

async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const secure = (c: V3Context) => new URL(c.req.url).protocol === 'https:'

export const cliLogin = new Hono<AppEnv>()
  .get('/', async (c) => {
    const q = query(c)
    const provider = providerById(q.provider)
    if (!provider) throw new ApiError(404, `auth provider ${q.provider} does not exist`, 'NotFound')
    if (PASSWORD_PROVIDERS.has(provider.id)) throw new ApiError(422, `${provider.id} takes a username and password: log in with them on the command line`, 'InvalidOption')
    if (!(await provider.publicEntry(c))) throw new ApiError(404, `auth provider ${provider.id} is not enabled`, 'NotFound')
    const flow = await sealFlowClaims(c.env.DROVER_TOKEN_KEYS, FLOW, { p: String(q.port), s: q.state, c: q.challenge })
    setCookie(c, COOKIE, flow, { path: BASE, httpOnly: true, secure: secure(c), sameSite: 'Lax', maxAge: FLOW_TTL_S })
    c.header('cache-control', 'no-store')
    return c.redirect(`/v3-public/${provider.publicCollection}/${provider.id}/login?redirect=${encodeURIComponent(`${BASE}/finish`)}`, 302)
  })
  // Where the provider's login lands: the browser's fresh session (its R_SESS cookie) vouches for the user.
  .get('/finish', async (c) => {
    const flow = await openFlowClaims(c.env.DROVER_TOKEN_KEYS, FLOW, getCookie(c, COOKIE), ['p', 's', 'c'])
    deleteCookie(c, COOKIE, { path: BASE, secure: secure(c) })
    if (!flow) throw new ApiError(400, 'no command-line login in progress in this browser, or it expired: run drover login again', 'InvalidBodyContent')
    const credential = credentialFrom(c.req.raw)
    const principal = credential ? await c.var.authenticator.user(credential) : null
    if (!principal?.token || principal.token.kind !== 'session' || principal.clusters !== '*') {
      throw new ApiError(401, 'log in in this browser first, then run drover login again', 'Unauthorized')
    }
    const t = principal.token
    const code = await sealFlowClaims(c.env.DROVER_TOKEN_KEYS, CODE, {
      c: flow.c!,
      x: String(Date.now() + CODE_TTL_MS),
      u: t.userId,
      n: t.username,
      a: t.authProvider,
      i: JSON.stringify(t.principalIds),
    })
    c.header('cache-control', 'no-store')
    c.header('referrer-policy', 'no-referrer')
    return c.redirect(`http://127.0.0.1:${flow.p}/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(flow.s!)}`, 302)
  })
  .post('/token', async (c) => {
    const body = await parseBody(c.req.raw, tokenBody)
    const claims = await openFlowClaims(c.env.DROVER_TOKEN_KEYS, CODE, body.code, ['c', 'x', 'u', 'n', 'a', 'i'])
    if (!claims || Number(claims.x) < Date.now() || claims.c !== (await s256(body.verifier))) {
      throw new ApiError(400, 'the login code is invalid, expired or not for this verifier: run drover login again', 'InvalidBodyContent')
    }
    const principalIds = JSON.parse(claims.i!) as string[]
    const edge = c.var.management.as(EDGE_IDENTITY)
    const user = await edge.find<UserObject>(mgmt('User'), claims.u!)
    if (!user || user.enabled === false) throw new ApiError(403, 'the user is disabled or gone', 'PermissionDenied')
    const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
    const issued = await issueToken(c.env, edge, {
      kind: 'session',
      subject: { userId: claims.u!, username: claims.n!, principalIds, groups: principalIds.slice(1), authProvider: claims.a! },
      ttlMs,
      description: 'drover command line (browser login)',
    })
    c.header('cache-control', 'no-store')
    return c.json(presentToken(c, issued.token, { token: issued.value }), 201)
  })
