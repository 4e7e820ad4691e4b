import { describe, expect, it } from 'vitest'
import { AgentWait } from './agent-wait.ts'

describe('requests waiting for an agent session', () => {
  it('go on when a session arrives, and fail after the wait otherwise', async () => {
    const w = new AgentWait({ waitMs: 50 })
    const first = w.wait()
    const second = w.wait()
    expect(w.size).toBe(2)
    w.arrived()
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(w.size).toBe(0)
    expect(await w.wait()).toBe(false)
    expect(w.size).toBe(0)
  })

  it('hold no more than the cap: the rest fail at once', async () => {
    const w = new AgentWait({ waitMs: 60_000, max: 2 })
    const held = [w.wait(), w.wait()]
    expect(await w.wait()).toBe(false)
    w.arrived()
    expect(await Promise.all(held)).toEqual([true, true])
  })
})
