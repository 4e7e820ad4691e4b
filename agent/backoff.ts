export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs?: number
  /** No delay ceiling grows beyond this. */
  capMs?: number
  /** A connection that stayed up this long starts the sequence over. */
  resetAfterMs?: number
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number
}

/**
 * Capped exponential backoff with full jitter: attempt n waits uniformly in [0, min(cap, base·2ⁿ)], so a
 * fleet of agents that lost the same edge spreads its reconnects over the whole window instead of
 * arriving in waves.
 */
export class Backoff {
  readonly baseMs: number
  readonly capMs: number
  readonly resetAfterMs: number
  private readonly random: () => number
  private attempt = 0

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500
    this.capMs = opts.capMs ?? 30_000
    this.resetAfterMs = opts.resetAfterMs ?? 30_000
    this.random = opts.random ?? Math.random
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs)) throw new RangeError('backoff needs 0 < baseMs <= capMs')
  }

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
    return Math.min(this.capMs, this.baseMs * 2 ** this.attempt)
  }

  /** The delay before the next attempt; each call grows the ceiling until it reaches the cap. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling())
    if (this.ceiling() < this.capMs) this.attempt++
    return delay
  }

  /** Jumps to the capped ceiling, for failures a quick retry will not fix (a rejected token). */
  toCap(): void {
    while (this.ceiling() < this.capMs) this.attempt++
  }

  /** Called when a connection ends: a long-lived one resets the sequence. */
  connectionEnded(uptimeMs: number): void {
    if (uptimeMs >= this.resetAfterMs) this.reset()
  }

  reset(): void {
    this.attempt = 0
  }
}
