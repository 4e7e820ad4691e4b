// The OpenID provider, spoken to with oauth4webapi (WebCrypto and fetch only, so it runs in workerd):
// discovery, the authorization URL with PKCE S256 + state + nonce, the code exchange and the ID token's
// checks (iss, aud, exp, nonce, and its signature against the provider's JWKS), then UserInfo.
import * as oauth from 'oauth4webapi'
import { ApiError } from '../../../errors.ts'
import { insecureAllowed, PROVIDER, type OidcSettings } from './config.ts'
import type { Flow } from './flow-cookie.ts'
import { jwksFetch } from './jwks.ts'

/** An isolate re-reads the provider's metadata at most this often. */
const DISCOVERY_TTL_MS = 5 * 60_000
const discovered = new Map<string, { at: number; as: Promise<oauth.AuthorizationServer> }>()

/** Claims the edge takes from the provider: the ID token's, completed by UserInfo. */
export type Claims = Record<string, unknown> & { sub: string }

function requestOptions(issuer: string) {
  return {
    signal: AbortSignal.timeout(10_000),
    ...(insecureAllowed(issuer) ? { [oauth.allowInsecureRequests]: true } : {}),
  }
}

export function discover(issuer: string, now = Date.now()): Promise<oauth.AuthorizationServer> {
  const hit = discovered.get(issuer)
  if (hit && now - hit.at < DISCOVERY_TTL_MS) return hit.as
  const url = new URL(issuer)
  const as = oauth
    .discoveryRequest(url, { algorithm: 'oidc', ...requestOptions(issuer) })
    .then((res) => oauth.processDiscoveryResponse(url, res))
  if (discovered.size > 100) discovered.clear()
  discovered.set(issuer, { at: now, as })
  as.catch(() => discovered.delete(issuer))
  return as.catch((err: unknown) => {
    throw providerError(err, 'discovery')
  })
}

export interface NewFlow {
  flow: Flow
  authorizationUrl: URL
}

/** A fresh state, nonce and PKCE pair, and where to send the browser. */
export async function beginLogin(settings: OidcSettings, as: oauth.AuthorizationServer, redirect: string, redirectUri: string): Promise<NewFlow> {
  if (!as.authorization_endpoint) throw new ApiError(502, `the OpenID provider of ${PROVIDER} has no authorization endpoint`, 'BadGateway')
  const flow: Flow = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
    redirect,
    redirectUri,
  }
  const url = new URL(as.authorization_endpoint)
  const params = url.searchParams
  params.set('response_type', 'code')
  params.set('client_id', settings.clientId)
  params.set('redirect_uri', redirectUri)
  params.set('scope', settings.scope)
  params.set('state', flow.state)
  params.set('nonce', flow.nonce)
  params.set('code_challenge', await oauth.calculatePKCECodeChallenge(flow.verifier))
  params.set('code_challenge_method', 'S256')
  return { flow, authorizationUrl: url }
}

/** The provider's client authentication method for our secret: `client_secret_basic` unless only post is offered. */
function clientAuth(as: oauth.AuthorizationServer, secret: string): oauth.ClientAuth {
  const methods = as.token_endpoint_auth_methods_supported
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) return oauth.ClientSecretPost(secret)
  return oauth.ClientSecretBasic(secret)
}

/**
 * Checks the callback's parameters against the flow (state, `iss`, a provider `error`), exchanges the
 * code with the client secret and the PKCE verifier, validates the ID token and returns its claims
 * merged with UserInfo's (the ID token wins where both have a claim).
 */
export async function completeLogin(settings: OidcSettings, as: oauth.AuthorizationServer, clientSecret: string, params: URLSearchParams, flow: Flow): Promise<Claims> {
  const client: oauth.Client = { client_id: settings.clientId }
  const opts = requestOptions(settings.issuer)
  try {
    const callback = oauth.validateAuthResponse(as, client, params, flow.state)
    const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuth(as, clientSecret), callback, flow.redirectUri, flow.verifier, opts)
    const result = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: flow.nonce, requireIdToken: true })
    // The keys come through jwks.ts, which bounds how often the provider is asked and keeps the last good
    // ones while it is down.
    if (as.jwks_uri) await oauth.validateApplicationLevelSignature(as, res, { ...opts, [oauth.customFetch]: jwksFetch(as.jwks_uri) })
    const idClaims = oauth.getValidatedIdTokenClaims(result)
    if (!idClaims) throw new ApiError(401, `${PROVIDER} login failed: the provider returned no ID token`, 'Unauthorized')
    let info: Record<string, unknown> = {}
    if (as.userinfo_endpoint) {
      const infoRes = await oauth.userInfoRequest(as, client, result.access_token, opts)
      info = await oauth.processUserInfoResponse(as, client, idClaims.sub, infoRes)
    }
    return { ...info, ...idClaims } as Claims
  } catch (err) {
    throw providerError(err, 'login')
  }
}

/** Only short, printable text from the provider reaches an error body. */
const clean = (s: unknown, max = 200) => (typeof s === 'string' ? s.replace(/[^\x20-\x7e]/g, '').slice(0, max) : '')

/**
 * oauth4webapi's errors as Rancher error bodies: what the provider or the browser got wrong is a 4xx,
 * an unreachable provider a 502. Messages name the check that failed, never a secret or a token.
 */
export function providerError(err: unknown, step: 'discovery' | 'login'): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof oauth.AuthorizationResponseError) {
    return new ApiError(401, `${PROVIDER} login failed: the provider answered ${clean(err.error, 64)}${err.error_description ? `: ${clean(err.error_description)}` : ''}`, 'Unauthorized')
  }
  if (err instanceof oauth.ResponseBodyError) {
    return new ApiError(401, `${PROVIDER} login failed: the provider refused the code: ${clean(err.error, 64)}`, 'Unauthorized')
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    return new ApiError(401, `${PROVIDER} login failed: the provider refused the client's credentials`, 'Unauthorized')
  }
  if (err instanceof oauth.OperationProcessingError) {
    if (step === 'discovery') return new ApiError(502, `the OpenID provider of ${PROVIDER} gave unusable metadata (${err.code})`, 'BadGateway')
    if (err.code === oauth.INVALID_RESPONSE && /"state"/.test(err.message)) {
      return new ApiError(400, `${PROVIDER} login failed: the state does not match this browser's login`, 'InvalidBodyContent')
    }
    return new ApiError(401, `${PROVIDER} login failed: ${clean(err.message)} (${err.code})`, 'Unauthorized')
  }
  // fetch() failures and timeouts: the provider is unreachable.
  return new ApiError(502, `the OpenID provider of ${PROVIDER} is unreachable during ${step}`, 'BadGateway')
}
