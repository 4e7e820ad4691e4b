import { RateLimiter } from './rate-limiter.ts'
import type { Clock } from './types.ts'

/** The longest `addAfter` wait (see there). */
export const MAX_DELAY_MS = 24 * 60 * 60_000

/**
 * client-go's rate-limited work queue, for one controller. Its guarantees, which the controller relies on:
 * - a key added several times before a worker takes it is processed once (`dirty` dedups);
 * - a key is never handed to two workers at once: a key re-added while processing is parked in `dirty`
 *   and queued again only when `done(key)` is called, so it is processed again *after*;
 * - `addAfter` keeps the earliest pending time per key; `addRateLimited` backs off per key (and overall);
 * - after `shutDown()` adds are ignored and waiting `get()`s resolve `undefined`.
 */
export class WorkQueue {
  private readonly queue: string[] = []
  private readonly dirty = new Set<string>()
  private readonly processing = new Set<string>()
  private readonly waiting = new Map<string, { at: number; handle: unknown }>()
  private readonly getters: ((key: string | undefined) => void)[] = []
  private readonly limiter: RateLimiter
  private shuttingDown = false

  constructor(
    private readonly clock: Clock,
    limiter?: RateLimiter,
  ) {
    this.limiter = limiter ?? new RateLimiter(clock)
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return
    this.dirty.add(key)
    if (this.processing.has(key)) return
    this.push(key)
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return
    if (ms <= 0) return this.add(key)
    // Timers cannot wait longer than 2^31-1 ms (Node fires such a timer after 1 ms, a busy loop); a
    // reconcile long before a far deadline just asks again, so waiting at most a day is enough.
    ms = Math.min(ms, MAX_DELAY_MS)
    const at = this.clock.now() + ms
    const pending = this.waiting.get(key)
    if (pending && pending.at <= at) return
    if (pending) this.clock.clearTimeout(pending.handle)
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(key)
      this.add(key)
    }, ms)
    this.waiting.set(key, { at, handle })
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key))
  }

  /** Ends rate limiting for a key: its next failure starts again from the shortest delay. */
  forget(key: string): void {
    this.limiter.forget(key)
  }

  retries(key: string): number {
    return this.limiter.retries(key)
  }

  /** The next key to process, or `undefined` once shut down. Call `done(key)` when finished with it. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift()
    if (key !== undefined) return Promise.resolve(this.take(key))
    if (this.shuttingDown) return Promise.resolve(undefined)
    return new Promise((resolve) => this.getters.push(resolve))
  }

  done(key: string): void {
    this.processing.delete(key)
    if (this.dirty.has(key)) this.push(key)
  }

  /** Keys ready to be processed (the queue-depth metric). */
  len(): number {
    return this.queue.length
  }

  shutDown(): void {
    this.shuttingDown = true
    for (const { handle } of this.waiting.values()) this.clock.clearTimeout(handle)
    this.waiting.clear()
    for (const resolve of this.getters.splice(0)) resolve(undefined)
  }

  private push(key: string): void {
    const getter = this.getters.shift()
    if (getter) getter(this.take(key))
    else this.queue.push(key)
  }

  private take(key: string): string {
    this.processing.add(key)
    this.dirty.delete(key)
    return key
  }
}
