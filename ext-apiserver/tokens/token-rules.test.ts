import { describe, expect, it } from 'vitest'
import { mergePatch } from '../server/handler.ts'
import { nameFromFieldSelector } from './selectors.ts'
import { tokenTtlMs } from './token-resource.ts'

describe('ext token rules', () => {
  it('takes the maximum TTL when none is asked for and refuses more than it', () => {
    expect(tokenTtlMs(undefined, 60)).toBe(3_600_000)
    expect(tokenTtlMs(0, 0)).toBe(0)
    expect(tokenTtlMs(1000, 0)).toBe(1000)
    expect(tokenTtlMs(3_600_000, 60)).toBe(3_600_000)
    expect(() => tokenTtlMs(3_600_001, 60)).toThrow(/exceeds auth-token-max-ttl-minutes/)
  })

  it('understands only metadata.name field selectors', () => {
    expect(nameFromFieldSelector(undefined)).toBeUndefined()
    expect(nameFromFieldSelector('metadata.name=token-abcde')).toBe('token-abcde')
    expect(nameFromFieldSelector('metadata.name==token-abcde')).toBe('token-abcde')
    expect(() => nameFromFieldSelector('spec.userID=u-x')).toThrow(/not supported/)
  })

  it('merges a JSON merge patch (RFC 7386)', () => {
    expect(mergePatch({ spec: { a: 1, b: 2 }, status: { x: 1 } }, { spec: { b: null, c: 3 } })).toEqual({ spec: { a: 1, c: 3 }, status: { x: 1 } })
    expect(mergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] })
    expect(mergePatch({ a: 1 }, 'x')).toBe('x')
  })
})
