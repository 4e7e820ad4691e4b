import type { Clock } from '../protocol/tunnel/clock.ts'

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs?: number
  /** No ceiling grows beyond this. */
  maxMs?: number
  /** A run that lasted this long without failing starts the sequence over (Infinity: never). */
  resetAfterMs?: number
  /**
   * `equal`: each delay is drawn from [ceiling/2, ceiling], so a retry never comes sooner than half the
   * ceiling. `full`: from [0, ceiling), so a fleet that lost the same peer at once spreads its retries over
   * the whole window instead of arriving in waves.
   */
  jitter?: 'equal' | 'full'
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number
}

/**
 * Capped exponential backoff with jitter, on an injected Clock: the n-th delay in a row is drawn under
 * min(maxMs, baseMs·2ⁿ). Defaults (800 ms, 30 s, reset after 2 min, equal jitter) suit restarting a watch;
 * the agent's reconnects use full jitter.
 */
export class Backoff {
  readonly baseMs: number
  readonly maxMs: number
  readonly resetAfterMs: number
  private readonly jitter: 'equal' | 'full'
  private readonly random: () => number
  private attempt = 0
  /** When the current run began: the end of the last delay. */
  private runStart = -Infinity

  /** `random` may come as the third argument too (where the options are the defaults). */
  constructor(
    private readonly clock: Clock,
    opts: BackoffOptions = {},
    random?: () => number,
  ) {
    this.baseMs = opts.baseMs ?? 800
    this.maxMs = opts.maxMs ?? 30_000
    this.resetAfterMs = opts.resetAfterMs ?? 120_000
    this.jitter = opts.jitter ?? 'equal'
    this.random = random ?? opts.random ?? Math.random
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) throw new RangeError('backoff needs 0 < baseMs <= maxMs')
    if (!(this.resetAfterMs >= 0)) throw new RangeError('backoff needs resetAfterMs >= 0')
  }

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    // 2^attempt would overflow to Infinity long after the cap; attempt stops growing at the cap instead.
    return Math.min(this.maxMs, this.baseMs * 2 ** this.attempt)
  }

  /**
   * A failure: the delay before the next attempt. `ranForMs` is how long the run that just failed lasted
   * (a connection's uptime; 0 for one that never came up); by default, the time since the last delay ended.
   * A run of at least `resetAfterMs` starts the sequence over first.
   */
  next(ranForMs: number = this.clock.now() - this.runStart): number {
    if (ranForMs >= this.resetAfterMs) this.reset()
    const ceiling = this.ceiling()
    if (ceiling < this.maxMs) this.attempt++
    const delay = this.jitter === 'full' ? Math.floor(this.random() * ceiling) : ceiling / 2 + (this.random() * ceiling) / 2
    this.runStart = this.clock.now() + delay
    return delay
  }

  /** Jumps to the capped ceiling, for failures a quick retry will not fix (a rejected token). */
  toCap(): void {
    while (this.ceiling() < this.maxMs) this.attempt++
  }

  reset(): void {
    this.attempt = 0
  }
}
