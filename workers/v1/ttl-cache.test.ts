import { describe, expect, it } from 'vitest'
import { mapLimited, TtlCache } from './ttl-cache.ts'

describe('TtlCache', () => {
  it('answers until ttl after the answer was asked for, then asks again', async () => {
    const cache = new TtlCache<number>(100, 10)
    let loads = 0
    const load = async () => ++loads
    expect(await cache.through('k', load, 1_000)).toBe(1)
    expect(await cache.through('k', load, 1_099)).toBe(1)
    expect(await cache.through('k', load, 1_100)).toBe(2)
  })

  it('keeps at most max entries, dropping the least recently used', () => {
    const cache = new TtlCache<string>(1_000, 2)
    cache.set('a', 'A', 0)
    cache.set('b', 'B', 0)
    expect(cache.get('a', 1)).toBe('A')
    cache.set('c', 'C', 1)
    expect([cache.get('a', 2), cache.get('b', 2), cache.get('c', 2)]).toEqual(['A', undefined, 'C'])
  })

  it('remembers nothing from a failed load', async () => {
    const cache = new TtlCache<number>(1_000, 2)
    await expect(cache.through('k', () => Promise.reject(new Error('no')), 0)).rejects.toThrow('no')
    expect(cache.size).toBe(0)
  })
})

describe('mapLimited', () => {
  it('keeps order and never has more than the limit in flight', async () => {
    let inFlight = 0
    let most = 0
    const out = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, n))
      inFlight--
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30])
    expect(most).toBe(2)
  })
})
