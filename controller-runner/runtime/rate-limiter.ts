import type { Clock } from './types.ts'

/**
 * client-go's default controller rate limiter: the larger of a per-key exponential backoff
 * (5 ms · 2^failures, capped at 1000 s) and an overall token bucket (10 per second, burst 100), so one
 * failing key backs off on its own and a storm of failing keys cannot hammer the apiserver together.
 */
export class RateLimiter {
  private readonly failures = new Map<string, number>()
  private tokens: number
  private last: number

  constructor(
    private readonly clock: Clock,
    private readonly opts = { baseMs: 5, maxMs: 1_000_000, qps: 10, burst: 100 },
  ) {
    this.tokens = opts.burst
    this.last = clock.now()
  }

  /** The delay before `key` may be retried; counts one more failure for it. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0
    this.failures.set(key, n + 1)
    const perKey = Math.min(this.opts.baseMs * 2 ** n, this.opts.maxMs)
    return Math.max(perKey, this.bucketDelay())
  }

  /** Forget a key's failures (after it reconciled cleanly). */
  forget(key: string): void {
    this.failures.delete(key)
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0
  }

  /** Reserves one token; returns how long until that token exists (0 when one is free now). */
  private bucketDelay(): number {
    const now = this.clock.now()
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) / 1000) * this.opts.qps)
    this.last = now
    this.tokens -= 1
    return this.tokens >= 0 ? 0 : (-this.tokens / this.opts.qps) * 1000
  }
}
