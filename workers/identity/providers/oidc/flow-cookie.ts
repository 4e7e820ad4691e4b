// The login flow's state between the redirect to the provider and the callback. The edge is stateless,
// so it rides in a cookie: an encrypted JWT (JWE, `dir` + A256GCM) whose key is derived with HKDF from
// the token signing keys, with its own `typ` and `aud` so nothing else can ever be taken for it (and it
// is never a token: it is not signed with the token keys and verifyToken accepts only JWS). Encrypted,
// not just signed, so the PKCE verifier and nonce stay unreadable in the browser.
import { base64url, EncryptJWT, jwtDecrypt, type JWK } from 'jose'
import { CLOCK_TOLERANCE_S, ISSUER } from '../../jwt.ts'

export const FLOW_COOKIE = 'R_OIDC_FLOW'
/** A login must come back from the provider within this. */
export const FLOW_TTL_S = 600
const TYP = 'drover.oidc-flow+jwt'
const AUD = 'drover:oidc-flow'
const INFO = new TextEncoder().encode('drover oidc flow cookie v1')
const MAX_COOKIE_CHARS = 4096

export interface Flow {
  state: string
  nonce: string
  /** PKCE code verifier. */
  verifier: string
  /** Same-origin path to return to after login. */
  redirect: string
  /** The redirect_uri sent to the provider; the code exchange must repeat it. */
  redirectUri: string
}

interface FlowKeys {
  current: { kid: string; key: CryptoKey }
  byKid: Map<string, CryptoKey>
}

let memo: { json: string; keys: Promise<FlowKeys> } | undefined

function flowKeys(json: string | undefined): Promise<FlowKeys> {
  if (!json) return Promise.reject(new Error('DROVER_TOKEN_KEYS is not set: the edge cannot run logins'))
  if (memo?.json !== json) memo = { json, keys: deriveKeys(json) }
  return memo.keys
}

async function deriveKeys(json: string): Promise<FlowKeys> {
  const jwks = JSON.parse(json) as JWK[]
  const byKid = new Map<string, CryptoKey>()
  let current: FlowKeys['current'] | undefined
  for (const jwk of jwks) {
    if (!jwk.kid || !jwk.d) throw new Error('each DROVER_TOKEN_KEYS entry must be a private JWK with a kid')
    const ikm = await crypto.subtle.importKey('raw', base64url.decode(jwk.d), 'HKDF', false, ['deriveKey'])
    const key = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: INFO }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    byKid.set(jwk.kid, key)
    current ??= { kid: jwk.kid, key }
  }
  if (!current) throw new Error('DROVER_TOKEN_KEYS must be a non-empty JSON array of JWKs')
  return { current, byKid }
}

export async function sealFlow(keysJson: string | undefined, flow: Flow, now = Date.now()): Promise<string> {
  const { current } = await flowKeys(keysJson)
  return new EncryptJWT({ st: flow.state, nn: flow.nonce, cv: flow.verifier, rd: flow.redirect, ru: flow.redirectUri })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid, typ: TYP })
    .setIssuer(ISSUER)
    .setAudience(AUD)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + FLOW_TTL_S)
    .encrypt(current.key)
}

/** The flow a cookie holds, or null when it is missing, expired, tampered with or not ours. Never throws on bad input. */
export async function openFlow(keysJson: string | undefined, value: string | undefined, now = Date.now()): Promise<Flow | null> {
  if (!value || value.length > MAX_COOKIE_CHARS) return null
  const { byKid } = await flowKeys(keysJson)
  try {
    const { payload } = await jwtDecrypt(value, (header) => {
      const key = header.kid ? byKid.get(header.kid) : undefined
      if (!key) throw new Error('unknown key')
      return key
    }, {
      issuer: ISSUER,
      audience: AUD,
      typ: TYP,
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'iat'],
    })
    const { st, nn, cv, rd, ru } = payload
    if (![st, nn, cv, rd, ru].every((x) => typeof x === 'string' && x)) return null
    return { state: st as string, nonce: nn as string, verifier: cv as string, redirect: rd as string, redirectUri: ru as string }
  } catch {
    return null
  }
}
