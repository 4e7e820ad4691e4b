import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as v from 'valibot'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { shortCache } from '../../authconfig-write.ts'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { KubeClient } from '../../../../protocol/kube/index.ts'
import { minutesSetting } from '../../../mgmt/settings.ts'
import { parseBody } from '../../../norman/body.ts'
import type { V3Context } from '../../../v3/context.ts'
import { setSessionCookie } from '../../cookie.ts'
import { safeRedirect } from '../../external-login.ts'
import { loginResponse } from '../../login-response.ts'
import { issueToken, type Issued } from '../../tokens.ts'
import { enabledSettings, loadSettings, PROVIDER, PUBLIC_COLLECTION, readClientSecret } from './config.ts'
import { FLOW_COOKIE, FLOW_TTL_S, openFlow, sealFlow } from './flow-cookie.ts'
import { beginLogin, completeLogin, discover } from './client.ts'
import { subjectFor } from './subject.ts'

/** Where the login routes are mounted; the flow cookie goes only to them. */
const COOKIE_PATH = `/v3-public/${PUBLIC_COLLECTION}/${PROVIDER}`

export { safeRedirect }

const origin = (c: V3Context) => new URL(c.req.url).origin
const secure = (c: V3Context) => new URL(c.req.url).protocol === 'https:'

function clearFlowCookie(c: V3Context): void {
  deleteCookie(c, FLOW_COOKIE, { path: COOKIE_PATH, secure: secure(c) })
}

/**
 * Finishes a login from the provider's callback parameters: the flow cookie must be present and match
 * (state), the code is exchanged and the ID token checked, access mode applied, the user found or
 * created, and a session token issued. The cookie is spent whatever the outcome.
 */
async function finishLogin(c: V3Context, params: URLSearchParams): Promise<{ issued: Issued; ttlMs: number; redirect: string }> {
  const flow = await openFlow(c.env.DROVER_TOKEN_KEYS, getCookie(c, FLOW_COOKIE))
  clearFlowCookie(c)
  if (!flow) throw new ApiError(400, `${PROVIDER} login failed: no login in progress in this browser, or it expired; start again`, 'InvalidBodyContent')
  const edge = c.var.management.as(EDGE_IDENTITY)
  const settings = await enabledSettings(edge)
  const as = await discover(settings.issuer)
  const clientSecret = await readClientSecret(edge, settings.clientSecretRef)
  const claims = await completeLogin(settings, as, clientSecret, params, flow)
  const subject = await subjectFor(edge, settings, claims)
  const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, { kind: 'session', subject, ttlMs, description: `${PROVIDER} login` })
  return { issued, ttlMs, redirect: flow.redirect }
}

const actionLoginBody = v.object({
  code: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  state: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  responseType: v.optional(v.string()),
})

/** Generic OIDC login, at `/v3-public/genericOIDCProviders/genericoidc`: `/login`, `/callback` and Rancher's `?action=login`. */
export const oidcLogin = new Hono<AppEnv>()
  .get('/login', async (c) => {
    const redirect = safeRedirect(c.req.query('redirect'))
    const settings = await enabledSettings(c.var.management.as(EDGE_IDENTITY))
    const as = await discover(settings.issuer)
    const redirectUri = settings.rancherUrl || `${origin(c)}${COOKIE_PATH}/callback`
    const { flow, authorizationUrl } = await beginLogin(settings, as, redirect, redirectUri)
    // SameSite=Lax: the provider sends the browser back with a top-level GET, which Lax cookies ride.
    setCookie(c, FLOW_COOKIE, await sealFlow(c.env.DROVER_TOKEN_KEYS, flow), { path: COOKIE_PATH, httpOnly: true, secure: secure(c), sameSite: 'Lax', maxAge: FLOW_TTL_S })
    c.header('cache-control', 'no-store')
    return c.redirect(authorizationUrl.toString(), 302)
  })
  .get('/callback', async (c) => {
    const { issued, ttlMs, redirect } = await finishLogin(c, new URL(c.req.url).searchParams)
    setSessionCookie(c, issued.value, Math.floor(ttlMs / 1000))
    c.header('cache-control', 'no-store')
    return c.redirect(redirect, 302)
  })
  // Rancher's UI posts the code it was given back to the API; the flow cookie must still come with it.
  .post('/', async (c) => {
    if (c.req.query('action') !== 'login') throw new ApiError(422, 'expected ?action=login', 'InvalidAction')
    const body = await parseBody(c.req.raw, actionLoginBody)
    const params = new URLSearchParams({ code: body.code, ...(body.state ? { state: body.state } : {}) })
    const settings = await loadSettings(c.var.management.as(EDGE_IDENTITY))
    if (settings?.enabled) {
      const as = await discover(settings.issuer)
      if (as.authorization_response_iss_parameter_supported) params.set('iss', as.issuer)
    }
    const { issued, ttlMs } = await finishLogin(c, params)
    return loginResponse(c, issued, body.responseType, ttlMs)
  })

const listCache = shortCache<Awaited<ReturnType<typeof loadSettings>>>(5_000)

/** The settings as the edge reads them, shared by an isolate for a few seconds (the public provider list). */
export function cachedSettings(edge: KubeClient, now = Date.now()): ReturnType<typeof loadSettings> {
  return listCache(edge, PROVIDER, loadSettings, now)
}
