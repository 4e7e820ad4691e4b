import type { Bindings } from '../env.ts'

/**
 * How long an isolate trusts a token-state answer. It bounds revocation: a revoked token stops working
 * everywhere within this plus one request. It also bounds the idle-timeout granularity.
 */
export const REVOCATION_CACHE_MS = 5_000
const MAX_ENTRIES = 10_000

const cache = new Map<string, { at: number; valid: boolean; issuedAtMs: number }>()

type Env = Pick<Bindings, 'TOKENS'>

/** Whether the token (name and issue time) is neither revoked nor idle for longer than `idleMs`; records its use. */
export async function tokenUsable(env: Env, name: string, issuedAtMs: number, idleMs: number, now = Date.now()): Promise<boolean> {
  const hit = cache.get(name)
  if (hit && hit.issuedAtMs === issuedAtMs && now - hit.at < REVOCATION_CACHE_MS) return hit.valid
  const { valid } = await env.TOKENS.get(env.TOKENS.idFromName(name)).check(now, idleMs, issuedAtMs)
  if (cache.size >= MAX_ENTRIES) cache.clear()
  cache.set(name, { at: now, valid, issuedAtMs })
  return valid
}

/**
 * Revokes every token of these names issued until now: everywhere within REVOCATION_CACHE_MS, at once
 * in this isolate.
 */
export async function revokeTokens(env: Env, names: string[], now = Date.now()): Promise<void> {
  await Promise.all(names.map(async (name) => {
    cache.delete(name)
    await env.TOKENS.get(env.TOKENS.idFromName(name)).revoke(now)
  }))
}
