// Token conventions shared by the edge (which issues and checks tokens) and the extension API server
// (which issues Rancher's ext tokens): the labels on a Token CR, the salted hash it stores instead of the
// secret, and the `ext/<name>:<secret>` value of an ext token. Pure WebCrypto, so both runtimes share it.

/** The owner of a Token CR (Rancher's label): how a user's tokens are found. */
export const USER_ID_LABEL = 'authn.management.cattle.io/token-userId'
/** session | api-key | kubeconfig (JWT values, issued by the edge) | ext (issued by the extension server). */
export const KIND_LABEL = 'drover.io/token-kind'
/** Kubeconfig tokens: one live token per user and cluster, found by this label. */
export const KUBECONFIG_FOR_LABEL = 'drover.io/kubeconfig-for'
export const PROVIDER_LABEL = 'drover.io/auth-provider'
/** The kind label of tokens that `tokens.ext.cattle.io` (or a kubeconfig of `kubeconfigs.ext.cattle.io`) made. */
export const EXT_TOKEN_KIND = 'ext'
/** On the Token CRs of a `kubeconfigs.ext.cattle.io` object: its name (deleting it deletes them). */
export const EXT_KUBECONFIG_LABEL = 'drover.io/ext-kubeconfig'

/** Rancher's bearer form of an ext token: `ext/<token name>:<secret>`. */
export const EXT_TOKEN_PREFIX = 'ext/'
const TOKEN_NAME = /^token-[a-z0-9]{5,}$/
/** Secrets the extension server makes are 43 characters (32 random bytes, base64url); more is never valid. */
const MAX_SECRET = 256

export const extTokenValue = (name: string, secret: string) => `${EXT_TOKEN_PREFIX}${name}:${secret}`

/** `ext/<name>:<secret>` split, or null for anything else (the name must look like a Token CR's). */
export function parseExtTokenValue(value: string): { name: string; secret: string } | null {
  if (!value.startsWith(EXT_TOKEN_PREFIX)) return null
  const rest = value.slice(EXT_TOKEN_PREFIX.length)
  const sep = rest.indexOf(':')
  const name = rest.slice(0, sep)
  const secret = rest.slice(sep + 1)
  if (sep <= 0 || !TOKEN_NAME.test(name) || !secret || secret.length > MAX_SECRET) return null
  return { name, secret }
}

const enc = new TextEncoder()

async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(s)))
}

/** Compares every byte whatever differs first; only a length difference shows. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function base64urlEncode(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Throws on input that is not base64url. */
export function base64urlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0))
}

/** A random secret of `bytes` bytes from a CSPRNG, base64url. */
export const randomSecret = (bytes = 32): string => base64urlEncode(crypto.getRandomValues(new Uint8Array(bytes)))

const digestB64 = async (salt: string, secret: string) => btoa(String.fromCharCode(...(await sha256(`${salt}:${secret}`))))

/** `sha256$<salt>$<digest>`: what a Token CR stores instead of the secret. */
export async function saltedHash(secret: string): Promise<string> {
  const salt = randomSecret(16)
  return `sha256$${salt}$${await digestB64(salt, secret)}`
}

/** Whether `secret` is the one `stored` (a saltedHash) was made from; constant time in the digest. */
export async function saltedHashMatches(secret: string, stored: string): Promise<boolean> {
  const [alg, salt, digest] = stored.split('$')
  if (alg !== 'sha256' || !salt || !digest) return false
  return bytesEqual(enc.encode(await digestB64(salt, secret)), enc.encode(digest))
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** Rancher-style random name suffix (`token-xxxxx`) from a CSPRNG; the modulo bias is irrelevant for names. */
export function randomName(prefix: string, length = 5): string {
  return prefix + Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('')
}
