import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { MAX_DELAY_MS, WorkQueue } from './queue.ts'

describe('WorkQueue', () => {
  it('waits at most a day for a far requeue, never handing the timer a delay it cannot hold', () => {
    const clock = new ManualClock()
    const delays: number[] = []
    const setTimeout = clock.setTimeout.bind(clock)
    clock.setTimeout = (fn: () => void, ms: number) => {
      delays.push(ms)
      return setTimeout(fn, ms)
    }
    const q = new WorkQueue(clock)
    q.addAfter('token', 30 * 24 * 60 * 60_000)
    expect(delays).toEqual([MAX_DELAY_MS])
    expect(MAX_DELAY_MS).toBeLessThan(2 ** 31)
  })

  it('processes a key queued twice once', async () => {
    const q = new WorkQueue(new ManualClock())
    q.add('a')
    q.add('a')
    q.add('b')
    expect(q.len()).toBe(2)
    expect(await q.get()).toBe('a')
    expect(await q.get()).toBe('b')
    expect(q.len()).toBe(0)
  })

  it('re-processes a key re-added while processing only after done, never concurrently', async () => {
    const q = new WorkQueue(new ManualClock())
    q.add('a')
    const first = await q.get()
    q.add('a')
    q.add('a')
    // Another worker asking now must not get 'a'.
    let second: string | undefined
    void q.get().then((k) => (second = k))
    await Promise.resolve()
    expect(second).toBeUndefined()
    q.done(first!)
    await Promise.resolve()
    expect(second).toBe('a')
  })

  it('hands a key to a waiting getter', async () => {
    const q = new WorkQueue(new ManualClock())
    const next = q.get()
    q.add('x')
    expect(await next).toBe('x')
  })

  it('addAfter fires at the time asked, keeping the earliest of several', async () => {
    const clock = new ManualClock()
    const q = new WorkQueue(clock)
    q.addAfter('a', 1000)
    q.addAfter('a', 300)
    q.addAfter('a', 5000)
    await clock.advance(299)
    expect(q.len()).toBe(0)
    await clock.advance(1)
    expect(q.len()).toBe(1)
    await clock.advance(10_000)
    expect(q.len()).toBe(1)
  })

  it('backs off per key exponentially from 5 ms, and forget resets it', async () => {
    const clock = new ManualClock()
    const limiter = new RateLimiter(clock)
    expect([1, 2, 3, 4].map(() => limiter.when('k'))).toEqual([5, 10, 20, 40])
    expect(limiter.when('other')).toBe(5)
    for (let i = 0; i < 40; i++) limiter.when('capped')
    expect(limiter.when('capped')).toBe(1_000_000)
    limiter.forget('k')
    expect(limiter.when('k')).toBe(5)
  })

  it('limits the overall retry rate with a token bucket once the burst is used', () => {
    const limiter = new RateLimiter(new ManualClock(), { baseMs: 5, maxMs: 1_000_000, qps: 10, burst: 3 })
    const delays = ['a', 'b', 'c', 'd', 'e'].map((k) => limiter.when(k))
    expect(delays.slice(0, 3)).toEqual([5, 5, 5])
    expect(delays[3]).toBeCloseTo(100)
    expect(delays[4]).toBeCloseTo(200)
  })

  it('addRateLimited requeues after the backoff delay', async () => {
    const clock = new ManualClock()
    const q = new WorkQueue(clock)
    q.addRateLimited('a')
    q.addRateLimited('a')
    await clock.advance(4)
    expect(q.len()).toBe(0)
    await clock.advance(1)
    expect(q.len()).toBe(1)
    expect(q.retries('a')).toBe(2)
  })

  it('shutDown releases waiting workers and ignores later adds and timers', async () => {
    const clock = new ManualClock()
    const q = new WorkQueue(clock)
    const waiting = q.get()
    q.addAfter('later', 100)
    q.shutDown()
    expect(await waiting).toBeUndefined()
    q.add('a')
    await clock.advance(1000)
    expect(q.len()).toBe(0)
    expect(await q.get()).toBeUndefined()
    expect(clock.pending()).toBe(0)
  })
})
