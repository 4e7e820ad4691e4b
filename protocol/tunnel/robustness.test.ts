import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { closeCodeFor, type ErrorCode } from './errors.ts'
import {
  dataFrame,
  endFrame,
  FrameType,
  helloFrame,
  requestHeadFrame,
  responseHeadFrame,
  windowFrame,
  wsMessageFrame,
} from './frame.ts'
import { INITIAL_WINDOW } from './limits.ts'
import { TunnelSession } from './session.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { captureTransport, readAll, settle } from '../../test/support/tunnel-testing.ts'
import type { RequestHead, StreamHandler } from './types.ts'

const head: RequestHead = { method: 'POST', path: '/apis/x', headers: [], identity: { user: 'u', groups: [], extra: {} } }
const never = <T>(): Promise<T> => new Promise<T>(() => {})

function agent(handler?: Partial<StreamHandler>, limits = {}) {
  const wire = captureTransport()
  const signals: AbortSignal[] = []
  const session = new TunnelSession({
    role: 'agent',
    transport: wire.transport,
    clock: new ManualClock(),
    limits,
    handler: {
      http: async (_h, _b, signal) => {
        signals.push(signal)
        return never()
      },
      websocket: never,
      ...handler,
    },
  })
  const resets = (): [number, ErrorCode][] => wire.frames().flatMap((f) => (f.type === FrameType.RESET ? [[f.streamId, f.code] as [number, ErrorCode]] : []))
  return { session, wire, signals, resets }
}

describe('a session fed bad input', () => {
  it('resets DATA for a stream never opened', () => {
    const a = agent()
    a.session.receive(dataFrame(5, new Uint8Array(3)))
    expect(a.resets()).toEqual([[5, 'UNKNOWN_STREAM']])
    expect(a.session.closed).toBe(false)
  })

  it('resets DATA after END, and ignores frames for streams already over', async () => {
    const a = agent()
    a.session.receive(requestHeadFrame(3, head, true))
    a.session.receive(dataFrame(3, new Uint8Array(1)))
    expect(a.resets()).toEqual([[3, 'PROTOCOL_ERROR']])
    await settle(1)
    expect(a.signals[0]!.aborted).toBe(true)
    a.session.receive(dataFrame(3, new Uint8Array(1)))
    a.session.receive(endFrame(3))
    a.session.receive(windowFrame(3, 10))
    expect(a.resets()).toHaveLength(1)
  })

  it('rejects reused and even stream ids', async () => {
    const a = agent()
    a.session.receive(requestHeadFrame(3, head, false))
    a.session.receive(requestHeadFrame(1, head, false))
    a.session.receive(requestHeadFrame(3, head, false))
    a.session.receive(requestHeadFrame(6, head, false))
    expect(a.resets()).toEqual([[1, 'STREAM_ID_REUSED'], [3, 'STREAM_ID_REUSED'], [6, 'PROTOCOL_ERROR']])
    await settle(1)
    // The reused id also ended the stream that had it.
    expect(a.signals).toHaveLength(1)
    expect(a.signals[0]!.reason).toMatchObject({ code: 'STREAM_ID_REUSED' })
    expect(a.session.streamCount).toBe(0)
  })

  it('resets a stream whose peer overruns its credit', () => {
    const a = agent()
    a.session.receive(requestHeadFrame(1, head, false))
    a.session.receive(dataFrame(1, new Uint8Array(INITIAL_WINDOW)))
    a.session.receive(dataFrame(1, new Uint8Array(1)))
    expect(a.resets()).toEqual([[1, 'FLOW_CONTROL_VIOLATION']])
    expect(a.session.bufferedBytes).toBe(0)
  })

  it('resets an oversized head but counts its id as used', () => {
    const a = agent(undefined, { maxHeadBytes: 256 })
    a.session.receive(requestHeadFrame(1, { ...head, headers: [['x', 'y'.repeat(300)]] }, true))
    a.session.receive(requestHeadFrame(1, head, true))
    expect(a.resets()).toEqual([[1, 'HEAD_TOO_LARGE'], [1, 'STREAM_ID_REUSED']])
  })

  it('closes the session on an oversized frame', () => {
    const a = agent(undefined, { maxFrameBytes: 4096 })
    a.session.receive(requestHeadFrame(1, head, false))
    a.session.receive(dataFrame(1, new Uint8Array(5000)))
    expect(a.session.closed).toBe(true)
    expect(a.wire.closed()).toEqual([closeCodeFor('FRAME_TOO_LARGE'), 'frame of 5005 bytes exceeds 4096'])
    expect(a.wire.frames().at(-1)).toMatchObject({ type: FrameType.GOAWAY, code: 'FRAME_TOO_LARGE' })
  })

  it('closes the session on frames meant for the other side, or stray text', () => {
    const a = agent()
    a.session.receive(helloFrame({ agentVersion: '1', sessionId: 's', replicaId: 'r' }))
    expect(a.wire.closed()?.[0]).toBe(closeCodeFor('PROTOCOL_ERROR'))
    const b = agent()
    b.session.receive('hello?')
    expect(b.wire.closed()?.[0]).toBe(closeCodeFor('PROTOCOL_ERROR'))
  })

  it('edge: resets DATA before the response head, and answers for ids it never opened', async () => {
    const wire = captureTransport()
    const edge = new TunnelSession({ role: 'edge', transport: wire.transport, clock: new ManualClock() })
    const pending = edge.fetch(head, null)
    edge.receive(dataFrame(1, new Uint8Array(1)))
    await expect(pending).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' })
    edge.receive(responseHeadFrame(7, { status: 200, headers: [] }, true))
    edge.receive(wsMessageFrame(2, new Uint8Array(1), true, false))
    const resets = wire.frames().filter((f) => f.type === FrameType.RESET)
    expect(resets.map((f) => [f.streamId, f.type === FrameType.RESET && f.code])).toEqual([[1, 'PROTOCOL_ERROR'], [7, 'UNKNOWN_STREAM'], [2, 'UNKNOWN_STREAM']])
  })
})

// --- property tests: arbitrary frames and bytes never make `receive` throw, and memory stays bounded.

const streamId = fc.constantFrom(0, 1, 2, 3, 5, 7, 9, 0xffffffff)
const payload = fc.uint8Array({ maxLength: 2048 })
const anyHead: fc.Arbitrary<RequestHead> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'bad method'),
  path: fc.constantFrom('/', '/api', 'x', '//h'),
  headers: fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.string({ maxLength: 8 })), { maxLength: 3 }),
  identity: fc.constant({ user: 'u', groups: [] as string[], extra: {} }),
})
const frameBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({ id: streamId, head: anyHead, end: fc.boolean(), up: fc.boolean() }).map(({ id, head: h, end, up }) =>
    requestHeadFrame(id, up ? { ...h, upgrade: { protocols: ['p'] } } : h, end),
  ),
  fc.record({ id: streamId, status: fc.constantFrom(101, 200, 404, 7), end: fc.boolean() }).map(({ id, status, end }) =>
    responseHeadFrame(id, { status, headers: [] }, end),
  ),
  fc.record({ id: streamId, data: payload }).map(({ id, data }) => dataFrame(id, data)),
  fc.record({ id: streamId, big: fc.integer({ min: 1, max: 400_000 }) }).map(({ id, big }) => dataFrame(id, new Uint8Array(big))),
  streamId.map(endFrame),
  fc.record({ id: streamId, inc: fc.integer({ min: 0, max: 0xffffffff }) }).map(({ id, inc }) => windowFrame(id, inc)),
  fc.record({ id: streamId, data: payload, text: fc.boolean(), more: fc.boolean() }).map(({ id, data, text, more }) => wsMessageFrame(id, data, text, more)),
  // Raw bytes with a plausible header, truncations of real frames, and pure noise.
  fc.record({ type: fc.integer({ min: 0, max: 20 }), id: streamId, rest: payload }).map(({ type, id, rest }) =>
    new Uint8Array([type, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff, ...rest]),
  ),
  fc.record({ id: streamId, head: anyHead, cut: fc.nat() }).map(({ id, head: h, cut }) => {
    const f = requestHeadFrame(id, h, false)
    return f.subarray(0, cut % f.length)
  }),
  payload,
)
const message = fc.oneof({ weight: 10, arbitrary: frameBytes }, { weight: 1, arbitrary: fc.constantFrom('drover-ping', 'drover-pong', 'junk') })

const limits = { maxStreams: 4, streamWindow: 64 * 1024, maxFrameBytes: 300_000 }
// Per stream: the initial credit (or the window if larger) plus one stray message's bookkeeping.
const bound = limits.maxStreams * (Math.max(INITIAL_WINDOW, limits.streamWindow) + 64)

describe('sessions under arbitrary input', () => {
  it('the agent never throws, keeps its caps, and leaves no timers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 40 }), async (messages) => {
        const clock = new ManualClock()
        const wire = captureTransport()
        const handler: StreamHandler = {
          http: async (_h, body) => {
            await readAll(body).catch(() => {})
            return { head: { status: 200, headers: [] }, body: null }
          },
          websocket: async (_h, socket) => {
            socket.onmessage = (m) => socket.send(m)
            return { head: { status: 101, headers: [] } }
          },
        }
        const session = new TunnelSession({ role: 'agent', transport: wire.transport, clock, handler, limits })
        for (const m of messages) {
          expect(() => session.receive(m)).not.toThrow()
          expect(session.streamCount).toBeLessThanOrEqual(limits.maxStreams)
          expect(session.bufferedBytes).toBeLessThanOrEqual(bound)
        }
        await settle(1)
        session.close('SESSION_CLOSED', 'done')
        expect(session.streamCount).toBe(0)
        expect(clock.pending()).toBe(0)
      }),
      { numRuns: 300 },
    )
  })

  it('the edge never throws with streams open, and fails them all on close', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 40 }), async (messages) => {
        const clock = new ManualClock()
        const wire = captureTransport()
        const session = new TunnelSession({ role: 'edge', transport: wire.transport, clock, limits })
        const outcomes = [1, 2, 3].map(() =>
          session.fetch(head, null).then(
            (r) => r.body.cancel().catch((e: unknown) => e),
            (e: unknown) => e,
          ),
        )
        const upgrade = session.upgrade({ ...head, method: 'GET' }).then(
          (r) => r.socket?.close(),
          (e: unknown) => e,
        )
        for (const m of messages) {
          expect(() => session.receive(m)).not.toThrow()
          expect(session.bufferedBytes).toBeLessThanOrEqual(bound)
        }
        session.close('SESSION_CLOSED', 'done')
        await Promise.all([...outcomes, upgrade])
        expect(session.streamCount).toBe(0)
        expect(clock.pending()).toBe(0)
      }),
      { numRuns: 300 },
    )
  })
})

describe('a session whose socket is gone', () => {
  it('closes once, failing its streams, when sends start to throw', async () => {
    let dead = false
    const closes: string[] = []
    const edge = new TunnelSession({
      role: 'edge',
      clock: new ManualClock(),
      transport: {
        send: () => {
          if (dead) throw new Error('WebSocket is closed')
        },
        close: () => {
          if (dead) throw new Error('WebSocket is closed')
        },
      },
      onClose: (e) => closes.push(e.code),
    })
    const pending = edge.fetch(head, null)
    dead = true
    edge.close('SESSION_CLOSED', 'the socket closed')
    await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' })
    expect(closes).toEqual(['SESSION_CLOSED'])

    const other = new TunnelSession({ role: 'edge', clock: new ManualClock(), transport: { send: () => { throw new Error('gone') }, close: () => {} }, onClose: (e) => closes.push(e.code) })
    await expect(other.fetch(head, null)).rejects.toMatchObject({ code: 'SESSION_CLOSED' })
    expect(closes).toEqual(['SESSION_CLOSED', 'SESSION_CLOSED'])
    expect(other.closed).toBe(true)
  })
})
