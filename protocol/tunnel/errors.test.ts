import { describe, expect, it } from 'vitest'
import {
  closeCodeFor,
  ERROR_CODES,
  errorCodeFromClose,
  errorCodeFromNumber,
  httpStatusFor,
  isErrorCode,
  RETRYABLE_CODES,
  TunnelError,
  type ErrorCode,
} from './errors.ts'
import { FrameType } from './frame.ts'
import { TunnelSession } from './session.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { captureTransport } from '../../test/support/tunnel-testing.ts'

const codes = Object.keys(ERROR_CODES) as ErrorCode[]

describe('error codes', () => {
  it('are unique u16 numbers that round-trip through close codes', () => {
    const numbers = Object.values(ERROR_CODES)
    expect(new Set(numbers).size).toBe(numbers.length)
    for (const code of codes) {
      expect(ERROR_CODES[code]).toBeGreaterThan(0)
      expect(ERROR_CODES[code]).toBeLessThan(1000)
      expect(errorCodeFromNumber(ERROR_CODES[code])).toBe(code)
      expect(errorCodeFromClose(closeCodeFor(code))).toBe(code)
      expect(isErrorCode(code)).toBe(true)
    }
    expect(errorCodeFromNumber(999)).toBe('INTERNAL')
    expect(errorCodeFromClose(1000)).toBeUndefined()
    expect(isErrorCode('toString')).toBe(false)
  })

  it('map to HTTP statuses', () => {
    expect(httpStatusFor('UPSTREAM_UNREACHABLE')).toBe(502)
    expect(httpStatusFor('UPSTREAM_ERROR')).toBe(502)
    expect(httpStatusFor('PROTOCOL_ERROR')).toBe(502)
    expect(httpStatusFor('SESSION_CLOSED')).toBe(503)
    expect(httpStatusFor('SUPERSEDED')).toBe(503)
    expect(httpStatusFor('AGENT_SHUTDOWN')).toBe(503)
    expect(httpStatusFor('PING_TIMEOUT')).toBe(504)
    expect(httpStatusFor('HEAD_TOO_LARGE')).toBe(431)
    expect(httpStatusFor('MESSAGE_TOO_LARGE')).toBe(400)
    for (const code of codes) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400)
  })

  it('say whether a retry is safe', () => {
    expect(new TunnelError('SESSION_CLOSED', 'x').retryable).toBe(true)
    expect(new TunnelError('UPSTREAM_ERROR', 'x').retryable).toBe(false)
    expect(RETRYABLE_CODES).toContain('SUPERSEDED')
    const e = new TunnelError('CANCELLED', 'gone', { cause: 1 })
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('TunnelError')
    expect(e.cause).toBe(1)
  })
})

describe('stream ids', () => {
  const head = { method: 'GET', path: '/', headers: [], identity: { user: 'u', groups: [], extra: {} } }

  it('resume above a given id (after hibernation) and report the next one', () => {
    const wire = captureTransport()
    const hello = { agentVersion: '1', sessionId: 's', replicaId: 'r' }
    const edge = new TunnelSession({ role: 'edge', transport: wire.transport, clock: new ManualClock(), firstStreamId: 1001, hello })
    expect(edge.hello).toEqual(hello)
    edge.fetch(head, null).catch(() => {})
    edge.fetch(head, null).catch(() => {})
    expect(wire.frames().map((f) => f.streamId)).toEqual([1001, 1003])
    expect(edge.nextStreamId).toBe(1005)
    expect(() => new TunnelSession({ role: 'edge', transport: wire.transport, firstStreamId: 2 })).toThrow(RangeError)
  })

  it('sends a bodyless request as one frame', () => {
    const wire = captureTransport()
    const edge = new TunnelSession({ role: 'edge', transport: wire.transport, clock: new ManualClock() })
    edge.fetch(head, null).catch(() => {})
    expect(wire.frames()).toEqual([{ type: FrameType.REQUEST_HEAD, streamId: 1, head, end: true }])
  })

  it('drain the session once the id space is used up', async () => {
    const wire = captureTransport()
    const clock = new ManualClock()
    const edge = new TunnelSession({ role: 'edge', transport: wire.transport, clock, firstStreamId: 0xfffffffd })
    const a = edge.fetch(head, null)
    const b = edge.fetch(head, null)
    await expect(edge.fetch(head, null)).rejects.toMatchObject({ code: 'SESSION_CLOSED', retryable: true })
    expect(edge.closed).toBe(false)
    edge.receive(new Uint8Array([FrameType.RESET, 0xff, 0xff, 0xff, 0xfd, 0, 8]))
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(edge.closed).toBe(false)
    edge.receive(new Uint8Array([FrameType.RESET, 0xff, 0xff, 0xff, 0xff, 0, 8]))
    await expect(b).rejects.toBeInstanceOf(TunnelError)
    expect(edge.closed).toBe(true)
  })
})
