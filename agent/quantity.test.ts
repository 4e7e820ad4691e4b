import { describe, expect, it } from 'vitest'
import { sumResources, summarizeNodes } from './facts.ts'
import { formatMilli, parseMilli } from './quantity.ts'

describe('parseMilli', () => {
  it.each([
    ['4', 4000n],
    ['3800m', 3800n],
    ['0.5', 500n],
    ['.25', 250n],
    ['1Ki', 1024_000n],
    ['16393496Ki', 16393496n * 1024n * 1000n],
    ['1G', 1_000_000_000_000n],
    ['1e3', 1_000_000n],
    ['1n', 1n],
    ['110', 110_000n],
    ['-2', -2000n],
  ])('%s', (q, milli) => expect(parseMilli(q)).toBe(milli))

  it('returns undefined for non-quantities', () => {
    for (const q of ['', 'abc', '1.2.3', '5Xi', '1 Gi']) expect(parseMilli(q)).toBeUndefined()
  })
})

describe('formatMilli', () => {
  it('prints cpu, bytes and counts canonically', () => {
    expect(formatMilli(3500n)).toBe('3500m')
    expect(formatMilli(8000n)).toBe('8')
    expect(formatMilli(32n * 1024n ** 3n * 1000n, { bytes: true })).toBe('32Gi')
    expect(formatMilli(1536n * 1024n * 1000n, { bytes: true })).toBe('1536Ki')
    expect(formatMilli(1000_000n, { bytes: true })).toBe('1000')
    expect(formatMilli(0n, { bytes: true })).toBe('0')
  })
})

describe('node sums', () => {
  it('adds capacity and allocatable over nodes exactly', () => {
    const nodes = [
      { status: { capacity: { cpu: '4', memory: '16Gi', pods: '110' }, allocatable: { cpu: '3800m', memory: '15Gi', pods: '110' } } },
      { status: { capacity: { cpu: '2', memory: '8Gi', pods: '110' }, allocatable: { cpu: '1900m', memory: '7680Mi', pods: '100' } } },
      { status: {} },
    ]
    expect(summarizeNodes(nodes)).toEqual({
      nodeCount: 3,
      capacity: { cpu: '6', memory: '24Gi', pods: '220' },
      allocatable: { cpu: '5700m', memory: '23040Mi', pods: '210' },
    })
    expect(sumResources([])).toEqual({ cpu: '0', memory: '0', pods: '0' })
  })
})
