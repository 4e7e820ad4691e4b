// Local passwords: PBKDF2-HMAC-SHA256 at production Workers' cap (100,000 iterations) over an HMAC of
// the password with a secret pepper. The cap is below OWASP's 600,000 for PBKDF2-SHA256; the pepper
// (a Worker secret, never stored with the hashes) is what keeps a stolen hash table useless on its own.
// Each hash records its KDF, iterations and pepper id, so either can be raised later: a login with an
// older record verifies against it and is then re-hashed with the current parameters.
// Pure WebCrypto: the edge's local provider and the extension server's password changes
// (`passwordchangerequests.ext.cattle.io`) share this one implementation, so their hashes always agree.
import { base64urlDecode, base64urlEncode, bytesEqual } from './tokens.ts'

/** Production Workers refuse WebCrypto PBKDF2 above this; a test holds the code to it. */
export const PBKDF2_MAX_ITERATIONS = 100_000
export const PASSWORD_ITERATIONS = PBKDF2_MAX_ITERATIONS
export const MIN_PASSWORD_LENGTH = 12
/** Longer input is refused before any hashing: it would only cost CPU. */
export const MAX_PASSWORD_BYTES = 1024

export interface Pepper {
  id: string
  key: Uint8Array
}

/** `DROVER_PASSWORD_PEPPERS`: `id:base64[,id:base64…]`, the current pepper first, older ones after. */
export function parsePeppers(value: string | undefined): Pepper[] {
  if (!value) return []
  return value.split(',').map((entry) => {
    const [id, b64] = entry.trim().split(':', 2)
    if (!id || !b64 || !/^[a-z0-9-]{1,16}$/i.test(id)) throw new Error('DROVER_PASSWORD_PEPPERS entries are id:base64')
    const key = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))
    if (key.length < 32) throw new Error(`pepper ${id} is shorter than 32 bytes`)
    return { id, key }
  })
}

async function derive(password: string, pepper: Pepper, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (iterations > PBKDF2_MAX_ITERATIONS) throw new Error(`PBKDF2 iterations ${iterations} exceed the Workers cap ${PBKDF2_MAX_ITERATIONS}`)
  const hmacKey = await crypto.subtle.importKey('raw', pepper.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const peppered = await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(password))
  const base = await crypto.subtle.importKey('raw', peppered, 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256)
  return new Uint8Array(bits)
}

/** `pbkdf2-sha256$<iterations>$<pepper id>$<salt>$<hash>` (base64url). */
export async function hashPassword(password: string, pepper: Pepper): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(password, pepper, salt, PASSWORD_ITERATIONS)
  return ['pbkdf2-sha256', PASSWORD_ITERATIONS, pepper.id, base64urlEncode(salt), base64urlEncode(hash)].join('$')
}

export interface Verification {
  ok: boolean
  /** Verified against older parameters or pepper: store a fresh hash. */
  rehash: boolean
}

export async function verifyPassword(password: string, stored: string, peppers: Pepper[]): Promise<Verification> {
  const [kdf, iter, pepperId, salt, hash] = stored.split('$')
  const pepper = peppers.find((p) => p.id === pepperId)
  const iterations = Number(iter)
  if (kdf !== 'pbkdf2-sha256' || !pepper || !salt || !hash || !Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    return { ok: false, rehash: false }
  }
  let saltBytes: Uint8Array
  let want: Uint8Array
  try {
    saltBytes = base64urlDecode(salt)
    want = base64urlDecode(hash)
  } catch {
    return { ok: false, rehash: false } // a damaged record refuses the login; it never throws
  }
  const ok = bytesEqual(await derive(password, pepper, saltBytes, iterations), want)
  return { ok, rehash: ok && (iterations !== PASSWORD_ITERATIONS || pepper !== peppers[0]) }
}

/** The same work as a real verification, for unknown users: login timing does not tell who exists. */
export async function burnVerification(password: string, peppers: Pepper[]): Promise<void> {
  if (peppers[0]) await derive(password, peppers[0], new Uint8Array(16), PASSWORD_ITERATIONS)
}

/** Why a new password is refused, or null. */
export function passwordProblem(password: string, username?: string): string | null {
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) return `password is longer than ${MAX_PASSWORD_BYTES} bytes`
  if ([...password].length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`
  if (username && password.toLowerCase() === username.toLowerCase()) return 'password must differ from the username'
  return null
}
