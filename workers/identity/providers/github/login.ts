// GitHub login at `/v3-public/githubProviders/github`: `/login` (a sealed flow cookie with a random state,
// then GitHub's authorize page), `/callback` (state checked against the cookie, code exchanged) and
// Rancher's `POST ?action=login` with `{code}` (the flow cookie must still come with it).
import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as v from 'valibot'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { KubeClient } from '../../../../protocol/kube/index.ts'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { shortCache } from '../../authconfig-write.ts'
import { minutesSetting } from '../../../mgmt/settings.ts'
import { parseBody } from '../../../norman/body.ts'
import type { V3Context } from '../../../v3/context.ts'
import { readClientSecret } from '../../client-secret.ts'
import { randomSecret, secretsEqual } from '../../compare.ts'
import { setSessionCookie } from '../../cookie.ts'
import { safeRedirect } from '../../external-login.ts'
import { FLOW_TTL_S, openFlowClaims, sealFlowClaims } from '../../flow-cookie.ts'
import { loginResponse } from '../../login-response.ts'
import { issueToken, type Issued } from '../../tokens.ts'
import { exchangeCode, identityOf } from './client.ts'
import { authorizeUrl, enabledSettings, loadSettings, PROVIDER, PUBLIC_COLLECTION, SCOPE } from './config.ts'
import { subjectFor } from './subject.ts'

export const FLOW_COOKIE = 'R_GITHUB_FLOW'
const PURPOSE = 'github'
/** Where the login routes are mounted; the flow cookie goes only to them. */
const COOKIE_PATH = `/v3-public/${PUBLIC_COLLECTION}/${PROVIDER}`

const secure = (c: V3Context) => new URL(c.req.url).protocol === 'https:'
const badState = () => new ApiError(400, `${PROVIDER} login failed: the state does not match this browser's login`, 'InvalidBodyContent')

interface Callback {
  code: string | undefined
  /** Absent only where Rancher's UI posts the code without it (the flow cookie is still required). */
  state: string | undefined
  stateRequired: boolean
  error?: string | undefined
}

/**
 * Finishes a login: the flow cookie must be present and its state match, the code is exchanged, GitHub
 * asked who the user is, access mode applied, the user found or created, and a session token issued.
 * The cookie is spent whatever the outcome.
 */
async function finishLogin(c: V3Context, cb: Callback): Promise<{ issued: Issued; ttlMs: number; redirect: string }> {
  const flow = await openFlowClaims(c.env.DROVER_TOKEN_KEYS, PURPOSE, getCookie(c, FLOW_COOKIE), ['st', 'rd', 'ru'])
  deleteCookie(c, FLOW_COOKIE, { path: COOKIE_PATH, secure: secure(c) })
  if (!flow) throw new ApiError(400, `${PROVIDER} login failed: no login in progress in this browser, or it expired; start again`, 'InvalidBodyContent')
  if (cb.state === undefined ? cb.stateRequired : !(await secretsEqual(cb.state, flow.st!))) throw badState()
  if (cb.error) throw new ApiError(401, `${PROVIDER} login failed: GitHub answered ${cb.error.replace(/[^\x20-\x7e]/g, '').slice(0, 64)}`, 'Unauthorized')
  if (!cb.code || cb.code.length > 4096) throw new ApiError(400, `${PROVIDER} login failed: the callback carries no code`, 'InvalidBodyContent')
  const edge = c.var.management.as(EDGE_IDENTITY)
  const settings = await enabledSettings(edge)
  const clientSecret = await readClientSecret(edge, PROVIDER, settings.clientSecretRef)
  const token = await exchangeCode(settings, { clientId: settings.clientId, clientSecret, code: cb.code, redirectUri: flow.ru! })
  const subject = await subjectFor(edge, settings, await identityOf(settings, token))
  const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, { kind: 'session', subject, ttlMs, description: `${PROVIDER} login` })
  return { issued, ttlMs, redirect: flow.rd! }
}

const actionLoginBody = v.object({
  code: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  state: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  responseType: v.optional(v.string()),
})

export const githubLogin = new Hono<AppEnv>()
  .get('/login', async (c) => {
    const redirect = safeRedirect(c.req.query('redirect'))
    const settings = await enabledSettings(c.var.management.as(EDGE_IDENTITY))
    const redirectUri = `${new URL(c.req.url).origin}${COOKIE_PATH}/callback`
    const state = randomSecret(32)
    const url = new URL(authorizeUrl(settings))
    url.searchParams.set('redirect_uri', redirectUri)
    url.searchParams.set('scope', SCOPE)
    url.searchParams.set('state', state)
    // SameSite=Lax: GitHub sends the browser back with a top-level GET, which Lax cookies ride.
    const sealed = await sealFlowClaims(c.env.DROVER_TOKEN_KEYS, PURPOSE, { st: state, rd: redirect, ru: redirectUri })
    setCookie(c, FLOW_COOKIE, sealed, { path: COOKIE_PATH, httpOnly: true, secure: secure(c), sameSite: 'Lax', maxAge: FLOW_TTL_S })
    c.header('cache-control', 'no-store')
    return c.redirect(url.toString(), 302)
  })
  .get('/callback', async (c) => {
    const q = (k: string) => c.req.query(k)
    const { issued, ttlMs, redirect } = await finishLogin(c, { code: q('code'), state: q('state'), stateRequired: true, error: q('error') })
    setSessionCookie(c, issued.value, Math.floor(ttlMs / 1000))
    c.header('cache-control', 'no-store')
    return c.redirect(redirect, 302)
  })
  .post('/', async (c) => {
    if (c.req.query('action') !== 'login') throw new ApiError(422, 'expected ?action=login', 'InvalidAction')
    const body = await parseBody(c.req.raw, actionLoginBody)
    const { issued, ttlMs } = await finishLogin(c, { code: body.code, state: body.state, stateRequired: false })
    return loginResponse(c, issued, body.responseType, ttlMs)
  })

const listCache = shortCache<Awaited<ReturnType<typeof loadSettings>>>(5_000)

/** The settings as the edge reads them, shared by an isolate for a few seconds (the public provider list). */
export function cachedSettings(edge: KubeClient, now = Date.now()): ReturnType<typeof loadSettings> {
  return listCache(edge, PROVIDER, loadSettings, now)
}
