import { describe, expect, it } from 'vitest'
import { FailureThrottle } from './throttle.ts'

describe('FailureThrottle', () => {
  it('blocks a user after five failures within five minutes, until the window passes or a success', () => {
    let now = 0
    const t = new FailureThrottle(() => now)
    for (let i = 0; i < 4; i++) t.failed('u-a')
    expect(t.blocked('u-a')).toBe(false)
    t.failed('u-a')
    expect(t.blocked('u-a')).toBe(true)
    expect(t.blocked('u-b')).toBe(false)
    now += 5 * 60_000
    expect(t.blocked('u-a')).toBe(false)
    for (let i = 0; i < 5; i++) t.failed('u-b')
    t.succeeded('u-b')
    expect(t.blocked('u-b')).toBe(false)
  })
})
