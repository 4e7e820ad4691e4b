// A SAML login (DESIGN.md flow 7). `GET /v3-public/<collection>/<id>/login?redirect=<path>` asks the
// extension server for the AuthnRequest redirect (a random request ID and RelayState), seals both and the
// path into a flow cookie, and sends the browser to the IdP. The IdP posts the response to the ACS
// (`POST /v1-saml/<id>/saml/acs`): the RelayState must equal the cookie's (so a response posted into
// someone else's browser, or another login's, finds no flow to finish — the RelayState itself says
// nothing about the user, unlike what CVE-2025-23389 exploited), the extension server checks the
// signed assertion against the cookie's request ID, the edge spends the assertion once, then access
// mode, the User and a cookie session as every external provider.
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { minutesSetting } from '../../../mgmt/settings.ts'
import { readLimited } from '../../../norman/body.ts'
import { randomSecret, secretsEqual } from '../../compare.ts'
import { setSessionCookie } from '../../cookie.ts'
import { groupsFit, MAX_GROUP_CHARS, safeRedirect, subjectForLogin } from '../../external-login.ts'
import { FLOW_TTL_S, openFlowClaims, sealFlowClaims } from '../../flow-cookie.ts'
import { issueToken } from '../../tokens.ts'
import { groupPrincipal, userPrincipal, type SamlKind } from './kinds.ts'
import { spendAssertion } from './replay.ts'
import { invalidConfig, samlReview } from './reviews.ts'
import { enabledSettings, spBasePath, spUrls } from './settings.ts'

export const FLOW_COOKIE = 'R_SAML_FLOW'
/** A SAMLResponse form post is a few KiB to some hundreds (many groups); more is not a login. */
const MAX_FORM_BYTES = 768 * 1024
const purpose = (kind: SamlKind) => `saml-${kind.id}`

const bad = (kind: SamlKind, why: string) => new ApiError(400, `${kind.id} login failed: ${why}`, 'InvalidBodyContent')

/**
 * The flow cookie rides the IdP's form post, a cross-site POST: only `SameSite=None` cookies do, and
 * browsers take those only when `Secure` (they accept Secure cookies from http://localhost too). What
 * keeps it from being a CSRF lever is in the flow itself: it is spent by the first post, and only a
 * response signed for its request ID with its RelayState finishes a login. Path-scoped to the SP routes.
 */
const flowCookieOptions = (kind: SamlKind) => ({ path: spBasePath(kind), httpOnly: true, secure: true, sameSite: 'None' as const })

export async function startLogin(c: Context<AppEnv>, kind: SamlKind): Promise<Response> {
  const redirect = safeRedirect(c.req.query('redirect'))
  const edge = c.var.management.as(EDGE_IDENTITY)
  const settings = await enabledSettings(edge, kind)
  const urls = spUrls(kind, settings, c.req.url)
  // xs:ID must not start with a digit; base64url may.
  const requestId = `_${randomSecret(20).replace(/-/g, '_')}`
  const relayState = randomSecret(24)
  const status = await samlReview(edge, { provider: kind.id, entityId: urls.entityId, acsUrl: urls.acsUrl, requestId, relayState })
  if (status.refusal || !status.redirectUrl) throw invalidConfig(kind.id, status, 'login')
  const sealed = await sealFlowClaims(c.env.DROVER_TOKEN_KEYS, purpose(kind), { rq: requestId, rs: relayState, rd: redirect })
  setCookie(c, FLOW_COOKIE, sealed, { ...flowCookieOptions(kind), maxAge: FLOW_TTL_S })
  c.header('cache-control', 'no-store')
  return c.redirect(status.redirectUrl, 302)
}

async function formFields(c: Context<AppEnv>, kind: SamlKind): Promise<URLSearchParams> {
  const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new ApiError(415, `${kind.id} login failed: the IdP must post the response as a form (HTTP-POST binding)`)
  return new URLSearchParams(await readLimited(c.req.raw, MAX_FORM_BYTES))
}

export async function consumeAssertion(c: Context<AppEnv>, kind: SamlKind): Promise<Response> {
  const form = await formFields(c, kind)
  const flow = await openFlowClaims(c.env.DROVER_TOKEN_KEYS, purpose(kind), getCookie(c, FLOW_COOKIE), ['rq', 'rs', 'rd'])
  deleteCookie(c, FLOW_COOKIE, flowCookieOptions(kind))
  if (!flow) throw bad(kind, 'no login in progress in this browser, or it expired; start again')
  const relayState = form.get('RelayState') ?? ''
  if (!(await secretsEqual(relayState, flow.rs!))) throw bad(kind, "the RelayState does not match this browser's login")
  const samlResponse = form.get('SAMLResponse') ?? ''
  if (!samlResponse) throw bad(kind, 'the post carries no SAMLResponse')
  const edge = c.var.management.as(EDGE_IDENTITY)
  const settings = await enabledSettings(edge, kind)
  const urls = spUrls(kind, settings, c.req.url)
  const status = await samlReview(edge, { provider: kind.id, entityId: urls.entityId, acsUrl: urls.acsUrl, requestId: flow.rq!, samlResponse })
  if (status.refusal === 'Invalid') throw invalidConfig(kind.id, status, 'login')
  if (!status.authenticated || !status.user || !status.assertion || !status.idp) {
    throw new ApiError(401, `${kind.id} login failed: ${status.message ?? 'the IdP response was refused'}`, 'Unauthorized')
  }
  await spendAssertion(c.env, kind.id, status.idp.entityId, status.assertion.id, status.assertion.expiresAt)
  const groups = [...new Set((status.groups ?? []).map((g) => groupPrincipal(kind, g)))].sort()
  if (!groupsFit(groups)) throw new ApiError(422, `${kind.id} login failed: the user is in more groups than a session can carry (${MAX_GROUP_CHARS} characters of group ids)`, 'InvalidBodyContent')
  const { user } = status
  const subject = await subjectForLogin(edge, settings, { provider: kind.id, userPrincipal: userPrincipal(kind, user.uid), groups, displayName: user.displayName, username: user.userName })
  const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, { kind: 'session', subject, ttlMs, description: `${kind.id} login` })
  setSessionCookie(c, issued.value, Math.floor(ttlMs / 1000))
  c.header('cache-control', 'no-store')
  // 303: the browser follows a form post's answer with a GET.
  return c.redirect(flow.rd!, 303)
}
