import { base64url } from 'jose'
import { bytesEqual } from '../../protocol/api/tokens.ts'

// The salted hash a Token CR stores is the protocol's, shared with the extension API server's ext tokens.
export { bytesEqual, saltedHash, saltedHashMatches } from '../../protocol/api/tokens.ts'

export async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))
}

/** SHA-256 both sides, then compare every byte: neither the length nor the first difference leaks. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)])
  return bytesEqual(x, y)
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** Rancher-style random id suffix (`token-xxxxx`, `u-xxxxxxxxxx`) from a CSPRNG. */
export function randomId(length: number, alphabet = ALPHABET): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  // 256 is not a multiple of the alphabet size; the bias this leaves is irrelevant for ids.
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
}

export function randomSecret(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}
