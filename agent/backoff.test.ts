import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.ts'

describe('Backoff', () => {
  it('draws each delay under a doubling ceiling that stops at the cap', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0.999999 })
    const delays = Array.from({ length: 10 }, () => b.next())
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999])
  })

  it('uses full jitter: the whole range down to zero', () => {
    const b = new Backoff({ random: () => 0 })
    expect([b.next(), b.next(), b.next()]).toEqual([0, 0, 0])
    const seen = new Set<number>()
    const real = new Backoff()
    for (let i = 0; i < 200; i++) {
      const d = real.next()
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThan(30_000)
      seen.add(d)
    }
    expect(seen.size).toBeGreaterThan(50)
  })

  it('resets only after a connection that stayed up long enough', () => {
    const b = new Backoff({ baseMs: 100, capMs: 10_000, resetAfterMs: 30_000, random: () => 0.5 })
    b.next()
    b.next()
    b.next()
    expect(b.ceiling()).toBe(800)
    b.connectionEnded(29_999)
    expect(b.ceiling()).toBe(800)
    b.connectionEnded(30_000)
    expect(b.ceiling()).toBe(100)
  })

  it('jumps to the cap for failures a quick retry will not fix', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000 })
    b.toCap()
    expect(b.ceiling()).toBe(30_000)
  })

  it('rejects nonsense bounds', () => {
    expect(() => new Backoff({ baseMs: 0 })).toThrow(RangeError)
    expect(() => new Backoff({ baseMs: 1000, capMs: 10 })).toThrow(RangeError)
  })
})
