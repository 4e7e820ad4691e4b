// Token values are `token-xxxxx:<JWT>`: the JWT carries the identity, so verifying a token needs no
// round trip to the management cluster. ES256 only; `typ` and `aud` name the token kind, so a token of
// one kind is never accepted as another; keys carry a `kid` and rotate (sign with the first, verify
// with any listed).
import { decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose'

export const TOKEN_KINDS = ['session', 'api-key', 'kubeconfig'] as const
export type TokenKind = (typeof TOKEN_KINDS)[number]

export const ISSUER = 'drover'
export const ALGORITHM = 'ES256'
/** Clock skew accepted between edge locations, in seconds. */
export const CLOCK_TOLERANCE_S = 5

export const typFor = (kind: TokenKind) => `drover.${kind}+jwt`
export const audienceFor = (kind: TokenKind) => `drover:${kind}`

export interface TokenClaims {
  kind: TokenKind
  /** Token name (`token-xxxxx`), also the JWT id. */
  name: string
  userId: string
  /** Principal ids: the user's first, then its groups'. */
  principalIds: string[]
  groups: string[]
  username: string
  authProvider: string
  clusterId?: string
  /** Seconds since the epoch; absent means no expiry (API keys only). */
  expiresAt?: number
  /** When it was issued, in ms (the `ims` claim): revocation refuses tokens issued up to a point in time. */
  issuedAtMs?: number
}

interface Keys {
  signing: { kid: string; key: CryptoKey }
  verifying: Map<string, CryptoKey>
}

let memo: { json: string; keys: Promise<Keys> } | undefined

/** `DROVER_TOKEN_KEYS`: a JSON array of private EC P-256 JWKs with `kid`; the first signs. */
export function tokenKeys(json: string | undefined): Promise<Keys> {
  if (!json) return Promise.reject(new Error('DROVER_TOKEN_KEYS is not set: the edge cannot issue or verify tokens'))
  if (memo?.json !== json) memo = { json, keys: loadKeys(json) }
  return memo.keys
}

async function loadKeys(json: string): Promise<Keys> {
  const jwks = JSON.parse(json) as JWK[]
  if (!Array.isArray(jwks) || jwks.length === 0) throw new Error('DROVER_TOKEN_KEYS must be a non-empty JSON array of JWKs')
  const verifying = new Map<string, CryptoKey>()
  let signing: Keys['signing'] | undefined
  for (const jwk of jwks) {
    if (!jwk.kid || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('each DROVER_TOKEN_KEYS entry must be a private P-256 JWK with a kid')
    const priv = (await importJWK({ ...jwk, alg: ALGORITHM }, ALGORITHM)) as CryptoKey
    const { d: _d, ...pub } = jwk
    verifying.set(jwk.kid, (await importJWK({ ...pub, alg: ALGORITHM }, ALGORITHM)) as CryptoKey)
    signing ??= { kid: jwk.kid, key: priv }
  }
  return { signing: signing!, verifying }
}

export async function signToken(keys: Keys, claims: TokenClaims, now = Date.now()): Promise<string> {
  const jwt = new SignJWT({
    grp: claims.groups,
    pid: claims.principalIds,
    usr: claims.username,
    prv: claims.authProvider,
    ims: claims.issuedAtMs ?? now,
    ...(claims.clusterId ? { cid: claims.clusterId } : {}),
  })
    .setProtectedHeader({ alg: ALGORITHM, kid: keys.signing.kid, typ: typFor(claims.kind) })
    .setIssuer(ISSUER)
    .setAudience(audienceFor(claims.kind))
    .setSubject(claims.userId)
    .setJti(claims.name)
    .setIssuedAt(Math.floor(now / 1000))
  if (claims.expiresAt !== undefined) jwt.setExpirationTime(claims.expiresAt)
  return jwt.sign(keys.signing.key)
}

/** The verified claims, or null for anything not a valid token of ours; never throws on bad input. */
export async function verifyToken(keys: Keys, jwt: string, now = Date.now()): Promise<TokenClaims | null> {
  if (jwt.length > 8192) return null
  let kind: TokenKind | undefined
  let key: CryptoKey | undefined
  try {
    const header = decodeProtectedHeader(jwt)
    kind = TOKEN_KINDS.find((k) => typFor(k) === header.typ)
    key = header.kid ? keys.verifying.get(header.kid) : undefined
    if (header.alg !== ALGORITHM) return null
  } catch {
    return null
  }
  if (!kind || !key) return null
  try {
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: audienceFor(kind),
      typ: typFor(kind),
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
      requiredClaims: kind === 'api-key' ? ['jti', 'sub', 'iat'] : ['jti', 'sub', 'iat', 'exp'],
    })
    const strings = (v: unknown) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null)
    const groups = strings(payload.grp)
    const principalIds = strings(payload.pid)
    if (!groups || !principalIds || typeof payload.usr !== 'string' || typeof payload.prv !== 'string') return null
    if (payload.cid !== undefined && typeof payload.cid !== 'string') return null
    if (typeof payload.ims !== 'number' || !Number.isSafeInteger(payload.ims)) return null
    return {
      kind,
      name: payload.jti!,
      userId: payload.sub!,
      groups,
      principalIds,
      username: payload.usr,
      authProvider: payload.prv,
      ...(typeof payload.cid === 'string' ? { clusterId: payload.cid } : {}),
      ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
      issuedAtMs: payload.ims,
    }
  } catch {
    return null
  }
}
