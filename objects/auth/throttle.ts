// Login throttling as a pure policy: a growing delay after a number of free failures, capped, and
// forgotten after a quiet period. There is no permanent lockout: the worst an attacker can cause is the
// capped delay, and the account-wide key has a short cap because anyone can trip it.

export interface ThrottlePolicy {
  /** Failures allowed before any delay. */
  free: number
  /** Delay after the first failure beyond `free`; doubles with each further one. */
  baseMs: number
  maxMs: number
  /** A key with no failure for this long starts afresh. */
  forgetMs: number
}

export interface ThrottleState {
  failures: number
  lastFailureAt: number
  blockedUntil: number
}

export const EMPTY: ThrottleState = { failures: 0, lastFailureAt: 0, blockedUntil: 0 }

/** Milliseconds to wait before the next attempt; 0 when one may be made now. */
export function retryAfter(state: ThrottleState, now: number): number {
  return Math.max(0, state.blockedUntil - now)
}

export function recordFailure(state: ThrottleState, now: number, policy: ThrottlePolicy): ThrottleState {
  const failures = now - state.lastFailureAt > policy.forgetMs ? 1 : state.failures + 1
  const over = failures - policy.free
  const delay = over > 0 ? Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over - 1, 30)) : 0
  return { failures, lastFailureAt: now, blockedUntil: delay > 0 ? now + delay : 0 }
}

/** Per account and client pair, per client address, and per account across all clients. */
export const LOGIN_POLICIES = {
  pair: { free: 5, baseMs: 1_000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000 },
  client: { free: 30, baseMs: 1_000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000 },
  account: { free: 20, baseMs: 1_000, maxMs: 30_000, forgetMs: 60 * 60_000 },
} as const satisfies Record<string, ThrottlePolicy>

export type ThrottleScope = keyof typeof LOGIN_POLICIES
