/** SHA-256 both sides, then compare every byte: neither the length nor the first difference leaks. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder()
  const [x, y] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))])
  const xa = new Uint8Array(x)
  const ya = new Uint8Array(y)
  let diff = 0
  for (let i = 0; i < xa.length; i++) diff |= xa[i]! ^ ya[i]!
  return diff === 0
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** Rancher-style random id suffix (`token-xxxxx`, `u-xxxxxxxxxx`) from a CSPRNG. */
export function randomId(length: number, alphabet = ALPHABET): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  // 256 is not a multiple of the alphabet size; the bias this leaves is irrelevant for ids.
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
}

export function randomSecret(bytes = 32): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes)))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** `sha256$<salt>$<digest>`: what a Token CR stores instead of the secret. */
export async function saltedHash(secret: string): Promise<string> {
  const salt = randomSecret(16)
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${salt}:${secret}`))
  return `sha256$${salt}$${btoa(String.fromCharCode(...new Uint8Array(digest)))}`
}
