import { describe, expect, it } from 'vitest'
import { WAKE_GRACE_MS, WATCHDOG_MS } from './cluster-status.ts'
import { checkOnWake, statusAlarm, statusChanged, type StatusHost } from './status-alarm.ts'
import type { TunnelStatus } from './tunnel-hub.ts'

/** A host over a Map, with `local` answering `code` to every push. */
function host(connected: boolean, code = 200) {
  const kv = new Map<string, unknown>()
  const alarms: number[] = []
  const pushes: unknown[] = []
  const waiting: string[] = []
  const notes: [string, boolean][] = []
  const h: StatusHost = {
    watchdogMs: WATCHDOG_MS,
    kv: { get: <T>(k: string) => kv.get(k) as T | undefined, put: (k, v) => void kv.set(k, v), delete: (k) => kv.delete(k) },
    setAlarm: (at) => void alarms.push(at - Date.now()),
    status: (): TunnelStatus => ({ clusterId: 'c-1', connected, sessions: [] }),
    local: () => ({
      fetch: async (req: Request) => (pushes.push(await req.json()), Response.json(code === 200 ? {} : { type: 'error', status: code }, { status: code })),
      wakeOnAgent: async (id: string) => void waiting.push(id),
      noteConnected: async (id: string, connected: boolean) => void notes.push([id, connected]),
    }),
  }
  return { h, kv, alarms, pushes, waiting, notes }
}

describe('the tunnel object status alarm', () => {
  it('re-arms the watchdog while the pushed status says connected', async () => {
    const t = host(true)
    await statusAlarm(t.h, 'c-1')
    expect(t.pushes).toEqual([{ status: { connected: true } }])
    expect(t.alarms.at(-1)).toBeGreaterThan(0.75 * WATCHDOG_MS - 100)
    expect(t.alarms.at(-1)).toBeLessThanOrEqual(1.25 * WATCHDOG_MS)
    await statusAlarm(t.h, 'c-1')
    expect(t.pushes).toHaveLength(1)
  })

  it('reports disconnected when it wakes to find the pushed "connected" has no socket behind it', async () => {
    const t = host(false)
    t.kv.set('pushedStatus', JSON.stringify({ status: { connected: true } }))
    checkOnWake(t.h, 0)
    expect(t.alarms).toHaveLength(1)
    // A grace for agents dialling back after a restart, inside the status bound.
    expect(t.alarms[0]).toBeGreaterThan(WAKE_GRACE_MS - 100)
    expect(t.alarms[0]).toBeLessThanOrEqual(WAKE_GRACE_MS)
    await statusAlarm(t.h, 'c-1')
    expect(t.pushes).toEqual([{ status: { connected: false } }])
    expect(t.kv.get('pushedStatus')).toBe(JSON.stringify({ status: { connected: false } }))
  })

  it('does not wake a new instance whose sockets are there or whose status says disconnected', () => {
    const t = host(true)
    t.kv.set('pushedStatus', JSON.stringify({ status: { connected: true } }))
    checkOnWake(t.h, 1)
    t.kv.set('pushedStatus', JSON.stringify({ status: { connected: false } }))
    checkOnWake(t.h, 0)
    expect(t.alarms).toEqual([])
  })

  it('retries a failed push and asks local to wake it when its agent is back', async () => {
    const t = host(false, 503)
    t.kv.set('pushedStatus', JSON.stringify({ status: { connected: true } }))
    await statusAlarm(t.h, 'c-1')
    expect(t.waiting).toEqual(['c-1'])
    expect(t.alarms).toHaveLength(1)
    expect(t.kv.get('pendingStatus')).toBe(JSON.stringify({ status: { connected: false } }))
  })

  it('tells local once when the pushed status turns connected and once when it no longer is, for its sweep', async () => {
    const t = host(true)
    await statusAlarm(t.h, 'c-1')
    await statusAlarm(t.h, 'c-1')
    expect(t.notes).toEqual([['c-1', true]])
    t.h.status = () => ({ clusterId: 'c-1', connected: false, sessions: [] })
    await statusAlarm(t.h, 'c-1')
    expect(t.notes).toEqual([['c-1', true], ['c-1', false]])
    // Disconnected: no watchdog left armed.
    expect(t.alarms).toHaveLength(2)
  })

  it('pushes a change that came while it was pushing at once, not at the next watchdog', async () => {
    const t = host(true)
    const first = t.h.local
    // The agent's facts arrive while the hello's push is on its way.
    t.h.local = () => ({
      ...first(),
      fetch: async (req: Request) => {
        const res = await first().fetch(req)
        t.h.status = () => ({ clusterId: 'c-1', connected: true, sessions: [], facts: { nodeCount: 3 } })
        statusChanged(t.h)
        return res
      },
    })
    await statusAlarm(t.h, 'c-1')
    expect(t.alarms.at(-1)).toBeLessThanOrEqual(0)
    await statusAlarm(t.h, 'c-1')
    expect(t.pushes).toEqual([{ status: { connected: true } }, { status: { connected: true, nodeCount: 3, componentStatuses: null } }])
    expect(t.alarms.at(-1)).toBeGreaterThan(0.75 * WATCHDOG_MS - 100)
  })
})
