import { describe, expect, it } from 'vitest'
import { closeCodeFor, type TunnelError } from './errors.ts'
import { FrameType, pingFrame, pongFrame, requestHeadFrame, syncFrame, type Frame } from './frame.ts'
import { PING_TEXT, PONG_TEXT } from './keepalive.ts'
import type { Limits } from './limits.ts'
import { TunnelSession } from './session.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { captureTransport, settle } from '../../test/support/tunnel-testing.ts'
import type { RequestHead, StreamHandler } from './types.ts'

const head: RequestHead = { method: 'GET', path: '/api/v1/pods?watch=true', headers: [], identity: { user: 'u', groups: [], extra: {} } }
const never = <T>(): Promise<T> => new Promise<T>(() => {})
const ofType = <T extends Frame['type']>(frames: Frame[], type: T): Extract<Frame, { type: T }>[] =>
  frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type)

const syncFast = { syncIntervalMs: 5_000 }

function agentSession(clock: ManualClock, signals: AbortSignal[] = [], limits: Partial<Limits> = {}) {
  const wire = captureTransport()
  const closes: TunnelError[] = []
  const handler: StreamHandler = {
    http: async (_h, _b, signal) => {
      signals.push(signal)
      return never()
    },
    websocket: never,
  }
  const session = new TunnelSession({ role: 'agent', transport: wire.transport, clock, handler, limits, onClose: (e) => closes.push(e) })
  return { session, wire, closes }
}

function edgeSession(clock: ManualClock, limits: Partial<Limits> = {}) {
  const wire = captureTransport()
  const closes: TunnelError[] = []
  const session = new TunnelSession({ role: 'edge', transport: wire.transport, clock, limits, onClose: (e) => closes.push(e) })
  return { session, wire, closes }
}

describe('keepalive', () => {
  it('agent pings with text, stays up while answered, and times out after silence', () => {
    const clock = new ManualClock()
    const { session, wire, closes } = agentSession(clock)
    clock.tick(10_000)
    expect(wire.sent).toEqual([PING_TEXT])
    session.receive(PONG_TEXT)
    clock.tick(25_000)
    expect(session.closed).toBe(false)
    expect(wire.sent.filter((m) => m === PING_TEXT)).toHaveLength(3)
    clock.tick(5_000)
    expect(session.closed).toBe(true)
    expect(closes).toHaveLength(1)
    expect(closes[0]).toMatchObject({ code: 'PING_TIMEOUT', retryable: true })
    expect(wire.closed()?.[0]).toBe(closeCodeFor('PING_TIMEOUT'))
    expect(clock.pending()).toBe(0)
  })

  it('an idle edge keeps no timers; with a stream it pings and times out, failing the stream', async () => {
    const clock = new ManualClock()
    const { session, wire, closes } = edgeSession(clock)
    clock.tick(120_000)
    expect(clock.pending()).toBe(0)
    expect(session.closed).toBe(false)

    const pending = session.fetch(head, null)
    expect(clock.pending()).toBeGreaterThan(0)
    clock.tick(10_000)
    const pings = ofType(wire.frames(), FrameType.PING)
    expect(pings).toHaveLength(1)
    session.receive(pongFrame(pings[0]!.data))
    clock.tick(29_999)
    expect(session.closed).toBe(false)
    clock.tick(1)
    expect(closes[0]).toMatchObject({ code: 'PING_TIMEOUT' })
    await expect(pending).rejects.toMatchObject({ code: 'PING_TIMEOUT', retryable: true })
    expect(clock.pending()).toBe(0)
  })

  it('clears its timers the moment its last stream ends, so an idle edge object can hibernate', async () => {
    const clock = new ManualClock()
    const { session } = edgeSession(clock)
    const one = new AbortController()
    const first = session.fetch(head, null, one.signal).catch(() => {})
    const armed = clock.pending()
    expect(armed).toBeGreaterThan(0)
    const two = new AbortController()
    const second = session.fetch(head, null, two.signal).catch(() => {})
    // A second stream adds no timers.
    expect(clock.pending()).toBe(armed)
    one.abort()
    await first
    // One stream still open: still watched.
    expect(clock.pending()).toBe(armed)
    two.abort()
    await second
    expect(session.streamCount).toBe(0)
    expect(clock.pending()).toBe(0)
    // The next stream arms them again, its silence measured from then.
    const three = new AbortController()
    const third = session.fetch(head, null, three.signal).catch(() => {})
    expect(clock.pending()).toBe(armed)
    three.abort()
    await third
    expect(clock.pending()).toBe(0)
    expect(session.closed).toBe(false)
  })

  it('answers pings of either kind', () => {
    const clock = new ManualClock()
    const edge = edgeSession(clock)
    edge.session.receive(PING_TEXT)
    expect(edge.wire.sent).toEqual([PONG_TEXT])
    const agent = agentSession(clock)
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
    agent.session.receive(pingFrame(data))
    expect(agent.wire.frames()).toEqual([{ type: FrameType.PONG, streamId: 0, data }])
  })

  it('clears every timer when closed', () => {
    const clock = new ManualClock()
    const { session } = edgeSession(clock)
    session.fetch(head, null).catch(() => {})
    const agent = agentSession(clock)
    expect(clock.pending()).toBeGreaterThan(0)
    session.close('SESSION_CLOSED', 'bye')
    agent.session.close('AGENT_SHUTDOWN', 'bye')
    expect(clock.pending()).toBe(0)
  })
})

describe('stream sync', () => {
  it('the edge lists its streams and drops one the agent forgot', async () => {
    const clock = new ManualClock()
    const { session, wire } = edgeSession(clock, syncFast)
    const first = session.fetch(head, null)
    const second = session.fetch(head, null)
    second.catch(() => {})
    clock.tick(5_000)
    expect(ofType(wire.frames(), FrameType.SYNC)).toEqual([{ type: FrameType.SYNC, streamId: 0, upTo: 3, ids: [1, 3] }])
    // The agent has seen streams up to 3 but only has 3 open.
    session.receive(syncFrame(3, [3]))
    await expect(first).rejects.toMatchObject({ code: 'UNKNOWN_STREAM' })
    expect(session.streamCount).toBe(1)
  })

  it('ignores streams the peer had not seen yet when it sent the SYNC', () => {
    const clock = new ManualClock()
    const { session } = edgeSession(clock)
    session.fetch(head, null).catch(() => {})
    session.fetch(head, null).catch(() => {})
    session.receive(syncFrame(1, [1]))
    expect(session.streamCount).toBe(2)
  })

  it('the agent aborts a handler whose stream the edge forgot, and resets ids it no longer has', async () => {
    const clock = new ManualClock()
    const signals: AbortSignal[] = []
    const { session, wire } = agentSession(clock, signals, syncFast)
    session.receive(requestHeadFrame(1, head, true))
    session.receive(requestHeadFrame(3, head, true))
    await settle(1)
    expect(signals).toHaveLength(2)
    clock.tick(5_000)
    expect(ofType(wire.frames(), FrameType.SYNC)).toEqual([{ type: FrameType.SYNC, streamId: 0, upTo: 3, ids: [1, 3] }])
    session.receive(syncFrame(3, [1]))
    expect(signals[1]!.aborted).toBe(true)
    expect(signals[1]!.reason).toMatchObject({ code: 'UNKNOWN_STREAM' })
    expect(signals[0]!.aborted).toBe(false)
    // An id this side closed, listed by the peer, gets a RESET; an id never opened does not.
    session.receive(syncFrame(9, [1, 3, 9]))
    expect(ofType(wire.frames(), FrameType.RESET)).toEqual([{ type: FrameType.RESET, streamId: 3, code: 'UNKNOWN_STREAM', reason: 'stream 3 is not open here' }])
  })
})
