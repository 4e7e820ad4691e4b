// Verified drover tokens, remembered per isolate so a request with a credential seen moments ago costs a
// digest and a map lookup instead of an ES256 verify and two revocation lookups. An entry never outlives
// what made it valid: the token's expiry, the revocation answers it rests on (REVOCATION_CACHE_MS after
// they were fetched, so the revocation bound is the same as without this cache), and any revocation made
// in this isolate since (which takes effect at once here, as it did before). Only successes are kept: a
// refused credential is checked in full every time.
import type { Principal } from './authenticator.ts'
import { revocationEpoch } from './revocation.ts'

/** Entries per isolate; the least recently used goes first. */
export const CREDENTIAL_CACHE_ENTRIES = 10_000

interface Entry {
  principal: Principal
  /** When it must be verified again (ms since the epoch). */
  until: number
  /** revocationEpoch() when verification began: a revocation since then voids the entry. */
  epoch: number
  /** The key set it was verified with: a rotated-out key voids the entry. */
  keys: string
}

/** A bounded LRU of verified principals, keyed by a credential's digest (never the credential itself). */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>()

  constructor(readonly max = CREDENTIAL_CACHE_ENTRIES) {}

  get size(): number {
    return this.entries.size
  }

  /** The principal verified for this digest, still valid at `now` under `keys`, or undefined. */
  get(digest: string, keys: string, now: number): Principal | undefined {
    const hit = this.entries.get(digest)
    if (!hit) return undefined
    if (now >= hit.until || hit.epoch !== revocationEpoch() || hit.keys !== keys) {
      this.entries.delete(digest)
      return undefined
    }
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(digest)
    this.entries.set(digest, hit)
    return hit.principal
  }

  /** Remembers a verified principal until `until`, unless a revocation happened after `epoch`. */
  set(digest: string, principal: Principal, opts: { until: number; epoch: number; keys: string }, now: number): void {
    if (opts.until <= now || opts.epoch !== revocationEpoch()) return
    this.entries.delete(digest)
    this.entries.set(digest, { principal, ...opts })
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** SHA-256 of the credential, hex: what the cache is keyed by, so no credential stays in memory for it. */
export async function credentialDigest(credential: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(credential)))
  let out = ''
  for (const b of bytes) out += HEX[b]
  return out
}
