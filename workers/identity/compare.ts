import { base64url } from 'jose'

/** Compares every byte whatever differs first; only a length difference shows. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

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

/** `sha256$<salt>$<digest>`: what a Token CR stores instead of the secret. */
export async function saltedHash(secret: string): Promise<string> {
  const salt = randomSecret(16)
  return `sha256$${salt}$${btoa(String.fromCharCode(...(await sha256(`${salt}:${secret}`))))}`
}
