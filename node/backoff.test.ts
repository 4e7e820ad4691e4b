import { describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { Backoff } from './backoff.ts'

describe('Backoff, equal jitter (the default: restarting watches and leader tasks)', () => {
  it('grows within jitter bounds up to the cap and resets after a quiet period', async () => {
    const clock = new ManualClock(1_000_000)
    const high = new Backoff(clock, { baseMs: 800, maxMs: 30_000, resetAfterMs: 120_000, random: () => 1 })
    expect([1, 2, 3, 4, 5, 6, 7].map(() => high.next())).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000])
    const low = new Backoff(clock, { baseMs: 800, maxMs: 30_000, resetAfterMs: 120_000, random: () => 0 })
    expect([low.next(), low.next()]).toEqual([400, 800])
    await clock.advance(100_000)
    expect(low.next()).toBe(1600)
    await clock.advance(200_000)
    expect(low.next()).toBe(400)
  })

  it('times a run from the end of the last delay, not from the failure', () => {
    const clock = new ManualClock()
    const b = new Backoff(clock, { baseMs: 1000, maxMs: 60_000, resetAfterMs: 10_000, random: () => 1 })
    for (let i = 0; i < 4; i++) b.next()
    expect(b.ceiling()).toBe(16_000)
    // The last delay was 8 s: 17 s after the failure the run has lasted only 9 s.
    clock.tick(17_000)
    b.next()
    expect(b.ceiling()).toBe(32_000)
    clock.tick(16_000 + 10_000)
    expect(b.next()).toBe(1000)
  })

  it('never resets with resetAfterMs Infinity', () => {
    const clock = new ManualClock()
    const b = new Backoff(clock, { baseMs: 500, maxMs: 30_000, resetAfterMs: Infinity, random: () => 1 })
    b.next()
    b.next()
    clock.tick(1e12)
    expect(b.next()).toBe(2000)
  })
})

describe('Backoff, full jitter (agent reconnects)', () => {
  const full = { jitter: 'full', resetAfterMs: 30_000 } as const

  it('draws each delay under a doubling ceiling that stops at the cap', () => {
    const b = new Backoff(new ManualClock(), { ...full, baseMs: 500, maxMs: 30_000, random: () => 0.999999 })
    const delays = Array.from({ length: 10 }, () => b.next(0))
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999])
  })

  it('uses the whole range down to zero', () => {
    const b = new Backoff(new ManualClock(), { ...full, random: () => 0 })
    expect([b.next(0), b.next(0), b.next(0)]).toEqual([0, 0, 0])
    const seen = new Set<number>()
    const real = new Backoff(new ManualClock(), { ...full, baseMs: 500 })
    for (let i = 0; i < 200; i++) {
      const d = real.next(0)
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThan(30_000)
      seen.add(d)
    }
    expect(seen.size).toBeGreaterThan(50)
  })

  it('resets only after a run (a connection) that stayed up long enough', () => {
    const b = new Backoff(new ManualClock(), { ...full, baseMs: 100, maxMs: 10_000, random: () => 0.5 })
    b.next(0)
    b.next(0)
    b.next(0)
    expect(b.ceiling()).toBe(800)
    b.next(29_999)
    expect(b.ceiling()).toBe(1600)
    expect(b.next(30_000)).toBe(50)
    expect(b.ceiling()).toBe(200)
  })

  it('jumps to the cap for failures a quick retry will not fix', () => {
    const b = new Backoff(new ManualClock(), { ...full, baseMs: 500, maxMs: 30_000, random: () => 0.5 })
    b.toCap()
    expect(b.ceiling()).toBe(30_000)
    expect(b.next(0)).toBe(15_000)
  })
})

describe('Backoff bounds', () => {
  it('rejects nonsense', () => {
    const clock = new ManualClock()
    expect(() => new Backoff(clock, { baseMs: 0 })).toThrow(RangeError)
    expect(() => new Backoff(clock, { baseMs: 1000, maxMs: 10 })).toThrow(RangeError)
    expect(() => new Backoff(clock, { resetAfterMs: NaN })).toThrow(RangeError)
  })
})
