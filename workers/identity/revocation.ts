import { recordRevocationCheck } from '../../objects/metrics/edge-metrics.ts'
import type { Bindings } from '../env.ts'

/**
 * How long an isolate trusts a token-state answer. It bounds revocation: a revoked token stops working
 * everywhere within this plus one request. It also bounds the idle-timeout granularity.
 */
export const REVOCATION_CACHE_MS = 5_000
const MAX_ENTRIES = 10_000

const cache = new Map<string, { at: number; valid: boolean; issuedAtMs: number }>()
/** Per user: when all its tokens were last revoked (0: never), as the user's TokenState object said at `at`. */
const userCache = new Map<string, { at: number; revokedAt: number }>()
/** Bumped by every revocation made in this isolate: answers derived from older ones must not be reused. */
let epoch = 0

/** Changes whenever this isolate revokes something (credential-cache.ts drops what it cached before). */
export const revocationEpoch = (): number => epoch

type Env = Pick<Bindings, 'TOKENS'> & Partial<Pick<Bindings, 'METRICS'>>

/** What revocation looks at in a verified token. */
export interface TokenRef {
  name: string
  userId: string
  issuedAtMs: number
}

/** The TokenState object that holds a user's revocation point (a token name never starts with `user:`). */
export const userStateName = (userId: string) => `user:${userId}`

/**
 * Whether the token is neither revoked (by its name, or with every token of its user) nor idle for longer
 * than `idleMs`; records its use. The two objects are asked in parallel, each only when this isolate's
 * answer is older than REVOCATION_CACHE_MS.
 */
export async function tokenUsable(env: Env, token: TokenRef, idleMs: number, now = Date.now()): Promise<boolean> {
  return (await tokenUsableUntil(env, token, idleMs, now)) !== null
}

/**
 * As tokenUsable, but for a usable token also when the answer stops being good enough: the oldest of the
 * two answers it rests on plus REVOCATION_CACHE_MS, the same moment this isolate would ask again. Null for
 * a token that is not usable.
 */
export async function tokenUsableUntil(env: Env, token: TokenRef, idleMs: number, now = Date.now()): Promise<number | null> {
  const [state, user] = await Promise.all([tokenStateValid(env, token, idleMs, now), userRevokedAtMs(env, token.userId, now)])
  if (!state.valid || (user.revokedAt !== 0 && token.issuedAtMs <= user.revokedAt)) return null
  return Math.min(state.at, user.at) + REVOCATION_CACHE_MS
}

async function tokenStateValid(env: Env, { name, issuedAtMs }: TokenRef, idleMs: number, now: number): Promise<{ at: number; valid: boolean }> {
  const hit = cache.get(name)
  if (hit && hit.issuedAtMs === issuedAtMs && now - hit.at < REVOCATION_CACHE_MS) {
    recordRevocationCheck(env.METRICS, 'cached')
    return hit
  }
  recordRevocationCheck(env.METRICS, 'asked')
  const { valid } = await env.TOKENS.get(env.TOKENS.idFromName(name)).check(now, idleMs, issuedAtMs)
  const entry = { at: now, valid, issuedAtMs }
  if (cache.size >= MAX_ENTRIES) cache.clear()
  cache.set(name, entry)
  return entry
}

async function userRevokedAtMs(env: Env, userId: string, now: number): Promise<{ at: number; revokedAt: number }> {
  const hit = userCache.get(userId)
  if (hit && now - hit.at < REVOCATION_CACHE_MS) return hit
  const revokedAt = await env.TOKENS.get(env.TOKENS.idFromName(userStateName(userId))).revokedAt()
  const entry = { at: now, revokedAt }
  if (userCache.size >= MAX_ENTRIES) userCache.clear()
  userCache.set(userId, entry)
  return entry
}

/**
 * Revokes every token of these names issued until now: everywhere within REVOCATION_CACHE_MS, at once
 * in this isolate.
 */
export async function revokeTokens(env: Env, names: string[], now = Date.now()): Promise<void> {
  epoch++
  await Promise.all(names.map(async (name) => {
    cache.delete(name)
    await env.TOKENS.get(env.TOKENS.idFromName(name)).revoke(now)
  }))
}

/**
 * Revokes every token of the user issued until now, whether or not its Token CR still exists (a deleted or
 * disabled user). Tokens issued later (a login after the user is enabled again) are not affected.
 */
export async function revokeUserTokens(env: Env, userId: string, now = Date.now()): Promise<void> {
  epoch++
  userCache.delete(userId)
  await env.TOKENS.get(env.TOKENS.idFromName(userStateName(userId))).revoke(now)
}
