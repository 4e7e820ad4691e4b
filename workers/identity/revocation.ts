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

type Env = Pick<Bindings, 'TOKENS'>

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
  const [valid, userRevokedAt] = await Promise.all([tokenStateValid(env, token, idleMs, now), userRevokedAtMs(env, token.userId, now)])
  return valid && (userRevokedAt === 0 || token.issuedAtMs > userRevokedAt)
}

async function tokenStateValid(env: Env, { name, issuedAtMs }: TokenRef, idleMs: number, now: number): Promise<boolean> {
  const hit = cache.get(name)
  if (hit && hit.issuedAtMs === issuedAtMs && now - hit.at < REVOCATION_CACHE_MS) return hit.valid
  const { valid } = await env.TOKENS.get(env.TOKENS.idFromName(name)).check(now, idleMs, issuedAtMs)
  if (cache.size >= MAX_ENTRIES) cache.clear()
  cache.set(name, { at: now, valid, issuedAtMs })
  return valid
}

async function userRevokedAtMs(env: Env, userId: string, now: number): Promise<number> {
  const hit = userCache.get(userId)
  if (hit && now - hit.at < REVOCATION_CACHE_MS) return hit.revokedAt
  const revokedAt = await env.TOKENS.get(env.TOKENS.idFromName(userStateName(userId))).revokedAt()
  if (userCache.size >= MAX_ENTRIES) userCache.clear()
  userCache.set(userId, { at: now, revokedAt })
  return revokedAt
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

/**
 * Revokes every token of the user issued until now, whether or not its Token CR still exists (a deleted or
 * disabled user). Tokens issued later (a login after the user is enabled again) are not affected.
 */
export async function revokeUserTokens(env: Env, userId: string, now = Date.now()): Promise<void> {
  userCache.delete(userId)
  await env.TOKENS.get(env.TOKENS.idFromName(userStateName(userId))).revoke(now)
}
