import type { Clock } from '../../protocol/tunnel/clock.ts'

/**
 * A Clock that moves only when a test says so, for queues, leases, pings and backoff without sleeping.
 * Timers fire in time order (ties in the order they were set). Web-standard only: workerd tests use it too.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Map<number, { at: number; fn: () => void }>()

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** How many timers are set and not yet fired or cleared. */
  pending(): number {
    return this.timers.size
  }

  /** The delay until the earliest timer fires, if one is set. */
  nextDelay(): number | undefined {
    let at: number | undefined
    for (const t of this.timers.values()) if (at === undefined || t.at < at) at = t.at
    return at === undefined ? undefined : at - this.time
  }

  /** Moves time forward by `ms` at once, firing due timers synchronously in order (for synchronous code). */
  tick(ms: number): void {
    const end = this.time + ms
    while (this.fireNext(end));
    this.time = end
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the promise chains each one starts
   * run before the next (for async code under test).
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    for (;;) {
      await flush()
      if (!this.fireNext(end)) break
    }
    this.time = end
    await flush()
  }

  /** Fires the earliest timer due by `end`, moving time to it; false when none is due. */
  private fireNext(end: number): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined
    for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry
    if (!next) return false
    this.timers.delete(next[0])
    this.time = Math.max(this.time, next[1].at)
    next[1].fn()
    return true
  }
}

/** Lets pending promise callbacks run (several rounds, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
