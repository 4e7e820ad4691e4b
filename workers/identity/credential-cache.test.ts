import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { openEnvelope, proxyEnvelope } from '../../objects/tunnel/envelope.ts'
import type { Bindings } from '../env.ts'
import { tunnelObjects } from '../mgmt/management.ts'
import type { Principal } from './authenticator.ts'
import { CredentialCache, credentialDigest } from './credential-cache.ts'
import { droverAuthenticator } from './drover-authenticator.ts'
import { signToken, tokenKeys, type TokenKind } from './jwt.ts'
import { REVOCATION_CACHE_MS, revocationEpoch, revokeTokens, revokeUserTokens, userStateName } from './revocation.ts'

const bindings: Bindings = env

/** An authenticator with a cache and a clock of its own. */
function authenticator(cache = new CredentialCache()) {
  let now = Date.now()
  const auth = droverAuthenticator(bindings, tunnelObjects(bindings), { cache, now: () => now })
  return { auth, cache, at: (t: number) => (now = t) }
}

async function token(name: string, userId: string, opts: { kind?: TokenKind; issuedAtMs: number; expiresAt?: number }): Promise<string> {
  const keys = await tokenKeys(bindings.DROVER_TOKEN_KEYS)
  const jwt = await signToken(keys, {
    kind: opts.kind ?? 'api-key',
    name,
    userId,
    principalIds: [`local://${userId}`],
    groups: ['g'],
    username: userId,
    authProvider: 'local',
    issuedAtMs: opts.issuedAtMs,
    ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
  }, opts.issuedAtMs)
  return `${name}:${jwt}`
}

/** Revokes a token's name the way another isolate would: in its TokenState object, unseen by this isolate's caches. */
const revokeElsewhere = (name: string, at: number) => bindings.TOKENS.get(bindings.TOKENS.idFromName(name)).revoke(at)

const dummy = (user: string): Principal => ({ identity: { user, groups: [], extra: {} }, clusters: '*' })

describe('CredentialCache', () => {
  it('holds at most its bound, evicting the least recently used', () => {
    const cache = new CredentialCache(2)
    const opts = { until: 10_000, epoch: revocationEpoch(), keys: 'k' }
    cache.set('a', dummy('a'), opts, 0)
    cache.set('b', dummy('b'), opts, 0)
    expect(cache.get('a', 'k', 1)?.identity.user).toBe('a')
    cache.set('c', dummy('c'), opts, 2)
    expect(cache.size).toBe(2)
    expect(cache.get('b', 'k', 3)).toBeUndefined()
    expect(cache.get('a', 'k', 3)?.identity.user).toBe('a')
    expect(cache.get('c', 'k', 3)?.identity.user).toBe('c')
  })

  it('forgets an entry at its deadline, under another key set, or after a revocation in this isolate', async () => {
    const cache = new CredentialCache()
    cache.set('a', dummy('a'), { until: 100, epoch: revocationEpoch(), keys: 'k' }, 0)
    expect(cache.get('a', 'k', 99)).toBeDefined()
    expect(cache.get('a', 'k', 100)).toBeUndefined()
    cache.set('b', dummy('b'), { until: 100, epoch: revocationEpoch(), keys: 'k' }, 0)
    expect(cache.get('b', 'rotated', 1)).toBeUndefined()
    // Nothing past its deadline, and nothing verified before a revocation, is taken in at all.
    cache.set('c', dummy('c'), { until: 100, epoch: revocationEpoch(), keys: 'k' }, 100)
    expect(cache.get('c', 'k', 50)).toBeUndefined()
    const before = revocationEpoch()
    cache.set('d', dummy('d'), { until: 100, epoch: before, keys: 'k' }, 0)
    await revokeTokens(bindings, ['token-epoch1'])
    expect(cache.get('d', 'k', 1)).toBeUndefined()
    cache.set('e', dummy('e'), { until: 100, epoch: before, keys: 'k' }, 0)
    expect(cache.size).toBe(0)
  })

  it('keys by a SHA-256 digest of the credential', async () => {
    const d = await credentialDigest('token-abcde:secret')
    expect(d).toMatch(/^[0-9a-f]{64}$/)
    expect(d).not.toContain('secret')
    expect(await credentialDigest('token-abcde:secret')).toBe(d)
    expect(await credentialDigest('token-abcde:secreT')).not.toBe(d)
  })
})

describe('verified tokens through the cache', () => {
  it('verifies a credential once, then serves it from the cache with its identity encoded once', async () => {
    const { auth, cache, at } = authenticator()
    const base = at(Date.now())
    const value = await token('token-cache1', 'u-cache1', { issuedAtMs: base - 1000 })
    const first = await auth.user(value)
    expect(first?.token?.name).toBe('token-cache1')
    expect(first?.identityJson).toBe(JSON.stringify(first?.identity))
    at(base + 1)
    expect(await auth.user(value)).toBe(first)
    expect(cache.size).toBe(1)

    const envelope = proxyEnvelope(new Request('https://edge.test/api/v1/pods'), { cluster: 'c', identity: first!.identity, identityJson: first!.identityJson! })
    expect(openEnvelope(envelope).identity()).toEqual(first!.identity)
  })

  it('never lets two credentials share an entry, and caches no refusal', async () => {
    const { auth, cache, at } = authenticator()
    const base = at(Date.now())
    const a = await token('token-cachea', 'u-cachea', { issuedAtMs: base - 1000 })
    const b = await token('token-cacheb', 'u-cacheb', { issuedAtMs: base - 1000 })
    // Same claims, another ES256 signature: another credential.
    const a2 = await token('token-cachea', 'u-cachea', { issuedAtMs: base - 1000 })
    expect(a2).not.toBe(a)
    const pa = await auth.user(a)
    const pb = await auth.user(b)
    const pa2 = await auth.user(a2)
    expect([pa?.identity.user, pb?.identity.user, pa2?.identity.user]).toEqual(['u-cachea', 'u-cacheb', 'u-cachea'])
    expect(pa2).not.toBe(pa)
    expect(cache.size).toBe(3)

    const tampered = a.slice(0, -2) + (a.endsWith('AA') ? 'BB' : 'AA')
    expect(await auth.user(tampered)).toBeNull()
    expect(await auth.user(b.replace('token-cacheb', 'token-cachex'))).toBeNull()
    expect(cache.size).toBe(3)
  })

  it('refuses a token revoked in another isolate no later than the revocation answer it rests on expires', async () => {
    const { auth, at } = authenticator()
    const base = Date.now()
    const name = 'token-cacher'
    const first = await token(name, 'u-cacher', { issuedAtMs: base - 10_000 })
    const second = await token(name, 'u-cacher', { issuedAtMs: base - 10_000 })
    // The revocation answers are fetched at base - 3000 for the first credential ...
    at(base - 3000)
    expect(await auth.user(first)).not.toBeNull()
    // ... and the second, verified at base, rests on them: it is trusted until base - 3000 + the bound.
    at(base)
    const p = await auth.user(second)
    expect(p).not.toBeNull()
    await revokeElsewhere(name, base + 1)
    at(base - 3000 + REVOCATION_CACHE_MS - 1)
    expect(await auth.user(second)).toBe(p)
    at(base - 3000 + REVOCATION_CACHE_MS)
    expect(await auth.user(second)).toBeNull()
    expect(await auth.user(first)).toBeNull()
  })

  it('refuses a user revoked in another isolate within the bound', async () => {
    const { auth, at } = authenticator()
    const base = at(Date.now())
    const value = await token('token-cacheu', 'u-cacheu', { issuedAtMs: base - 1000 })
    const p = await auth.user(value)
    expect(p).not.toBeNull()
    await bindings.TOKENS.get(bindings.TOKENS.idFromName(userStateName('u-cacheu'))).revoke(base + 1)
    at(base + REVOCATION_CACHE_MS - 1)
    expect(await auth.user(value)).toBe(p)
    at(base + REVOCATION_CACHE_MS)
    expect(await auth.user(value)).toBeNull()
  })

  it('refuses a cached token at once when this isolate revokes it or its user', async () => {
    const { auth, at } = authenticator()
    const base = at(Date.now())
    const one = await token('token-cachei', 'u-cachei', { issuedAtMs: base - 1000 })
    const two = await token('token-cachej', 'u-cachej', { issuedAtMs: base - 1000 })
    expect(await auth.user(one)).not.toBeNull()
    expect(await auth.user(two)).not.toBeNull()
    await revokeTokens(bindings, ['token-cachei'], base + 1)
    at(base + 2)
    expect(await auth.user(one)).toBeNull()
    expect(await auth.user(two)).not.toBeNull()
    await revokeUserTokens(bindings, 'u-cachej', base + 3)
    at(base + 4)
    expect(await auth.user(two)).toBeNull()
  })

  it('stops trusting a cached token at its expiry', async () => {
    const { auth, at } = authenticator()
    const base = Date.now()
    const expiresAt = Math.floor(base / 1000) + 3
    const value = await token('token-cachee', 'u-cachee', { kind: 'kubeconfig', issuedAtMs: base - 1000, expiresAt })
    at(base)
    const p = await auth.user(value)
    expect(p).not.toBeNull()
    at(expiresAt * 1000 - 1)
    expect(await auth.user(value)).toBe(p)
    // Verified again from here: still inside the clock tolerance, but no longer cached ...
    at(expiresAt * 1000)
    const again = await auth.user(value)
    expect(again).not.toBeNull()
    expect(again).not.toBe(p)
    expect(await auth.user(value)).not.toBe(again)
    // ... and refused past it.
    at(expiresAt * 1000 + 5_001)
    expect(await auth.user(value)).toBeNull()
  })
})
