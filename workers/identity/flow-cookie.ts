// A login flow's state between the redirect to an external provider and the callback, for every provider
// that redirects (OIDC, GitHub). The edge is stateless, so it rides in a cookie: an encrypted JWT (JWE,
// `dir` + A256GCM) whose key is derived with HKDF from the token signing keys, with a `typ` and `aud` of
// its purpose so nothing else can ever be taken for it (and it is never a token: it is not signed with
// the token keys and verifyToken accepts only JWS). Encrypted, not just signed, so what it carries (a
// PKCE verifier, a nonce) stays unreadable in the browser.
import { base64url, EncryptJWT, jwtDecrypt, type JWK } from 'jose'
import { CLOCK_TOLERANCE_S, ISSUER } from './jwt.ts'

/** A login must come back from the provider within this. */
export const FLOW_TTL_S = 600
const MAX_COOKIE_CHARS = 4096

/** The claims a flow cookie carries: short names, non-empty strings only. */
export type FlowClaims = Record<string, string>

interface FlowKeys {
  current: { kid: string; key: CryptoKey }
  byKid: Map<string, CryptoKey>
}

/** Per purpose: the keys derived from one DROVER_TOKEN_KEYS value. */
const memo = new Map<string, { json: string; keys: Promise<FlowKeys> }>()

function flowKeys(purpose: string, json: string | undefined): Promise<FlowKeys> {
  if (!json) return Promise.reject(new Error('DROVER_TOKEN_KEYS is not set: the edge cannot run logins'))
  const hit = memo.get(purpose)
  if (hit?.json === json) return hit.keys
  const keys = deriveKeys(purpose, json)
  memo.set(purpose, { json, keys })
  return keys
}

/** One AES key per token key and purpose: a GitHub flow cookie can never be opened as an OIDC one. */
async function deriveKeys(purpose: string, json: string): Promise<FlowKeys> {
  const info = new TextEncoder().encode(`drover ${purpose} flow cookie v1`)
  const jwks = JSON.parse(json) as JWK[]
  const byKid = new Map<string, CryptoKey>()
  let current: FlowKeys['current'] | undefined
  for (const jwk of jwks) {
    if (!jwk.kid || !jwk.d) throw new Error('each DROVER_TOKEN_KEYS entry must be a private JWK with a kid')
    const ikm = await crypto.subtle.importKey('raw', base64url.decode(jwk.d), 'HKDF', false, ['deriveKey'])
    const key = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    byKid.set(jwk.kid, key)
    current ??= { kid: jwk.kid, key }
  }
  if (!current) throw new Error('DROVER_TOKEN_KEYS must be a non-empty JSON array of JWKs')
  return { current, byKid }
}

const typOf = (purpose: string) => `drover.${purpose}-flow+jwt`
const audOf = (purpose: string) => `drover:${purpose}-flow`

/** Seals the claims for `purpose` (`oidc`, `github`), valid for FLOW_TTL_S. */
export async function sealFlowClaims(keysJson: string | undefined, purpose: string, claims: FlowClaims, now = Date.now()): Promise<string> {
  const { current } = await flowKeys(purpose, keysJson)
  return new EncryptJWT(claims)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid, typ: typOf(purpose) })
    .setIssuer(ISSUER)
    .setAudience(audOf(purpose))
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + FLOW_TTL_S)
    .encrypt(current.key)
}

/**
 * The claims a cookie of `purpose` holds, each of `required` a non-empty string; null when it is
 * missing, expired, tampered with, of another purpose or not ours. Never throws on bad input.
 */
export async function openFlowClaims(keysJson: string | undefined, purpose: string, value: string | undefined, required: readonly string[], now = Date.now()): Promise<FlowClaims | null> {
  if (!value || value.length > MAX_COOKIE_CHARS) return null
  const { byKid } = await flowKeys(purpose, keysJson)
  try {
    const { payload } = await jwtDecrypt(value, (header) => {
      const key = header.kid ? byKid.get(header.kid) : undefined
      if (!key) throw new Error('unknown key')
      return key
    }, {
      issuer: ISSUER,
      audience: audOf(purpose),
      typ: typOf(purpose),
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'iat'],
    })
    const out: FlowClaims = {}
    for (const name of required) {
      const value = payload[name]
      if (typeof value !== 'string' || !value) return null
      out[name] = value
    }
    return out
  } catch {
    return null
  }
}
