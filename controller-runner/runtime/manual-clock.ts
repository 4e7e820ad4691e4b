import type { Clock } from './types.ts'

/** A Clock that moves only when told to: for unit tests of queues, backoff and leases without sleeping. */
export class ManualClock implements Clock {
  private time: number
  private nextId = 1
  private readonly timers = new Map<number, { at: number; fn: () => void }>()

  constructor(start = 1_000_000) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  pending(): number {
    return this.timers.size
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order; awaits the microtasks each one starts
   * (promise chains of async code under test) before firing the next.
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    for (;;) {
      await flush()
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0]
      if (!due) break
      this.timers.delete(due[0])
      this.time = Math.max(this.time, due[1].at)
      due[1].fn()
    }
    this.time = end
    await flush()
  }
}

/** Lets pending promise callbacks run (several rounds, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
