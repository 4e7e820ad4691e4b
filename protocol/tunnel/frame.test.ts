import { describe, expect, it } from 'vitest'
import { defaultLimits } from './limits.ts'
import {
  dataFrame,
  decodeFrame,
  endFrame,
  windowFrame,
  describeFrame,
  encodeFrame,
  FrameType,
  MAX_REASON_BYTES,
  requestHeadFrame,
  resetFrame,
  type Frame,
} from './frame.ts'
import { parseRequestHead } from './parse.ts'

const identity = { user: 'alice', groups: ['system:authenticated', 'devs'], extra: { scopes: ['a', 'b'] } }
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b)

const samples: Frame[] = [
  { type: FrameType.HELLO, streamId: 0, hello: { agentVersion: '1.2.3', sessionId: 's-1', replicaId: 'r-1' } },
  { type: FrameType.FACTS, streamId: 0, facts: { kubernetesVersion: 'v1.31.0', nodeCount: 3, capacity: { cpu: '12' }, allocatable: { pods: '330' } } },
  {
    type: FrameType.REQUEST_HEAD,
    streamId: 7,
    end: true,
    head: { method: 'GET', path: '/api/v1/pods?watch=1', headers: [['accept', 'application/json'], ['x-a', '1'], ['x-a', '2']], identity },
  },
  {
    type: FrameType.REQUEST_HEAD,
    streamId: 9,
    end: false,
    head: { method: 'GET', path: '/api/v1/namespaces/d/pods/p/exec', headers: [], identity, upgrade: { protocols: ['v5.channel.k8s.io'] } },
  },
  { type: FrameType.RESPONSE_HEAD, streamId: 7, end: false, head: { status: 200, headers: [['content-type', 'application/json']] } },
  { type: FrameType.RESPONSE_HEAD, streamId: 9, end: false, head: { status: 101, headers: [], protocol: 'v5.channel.k8s.io' } },
  { type: FrameType.DATA, streamId: 7, data: bytes(1, 2, 3, 0, 255) },
  { type: FrameType.DATA, streamId: 7, data: bytes() },
  { type: FrameType.END, streamId: 7 },
  { type: FrameType.RESET, streamId: 7, code: 'CANCELLED', reason: 'client went away' },
  { type: FrameType.WINDOW, streamId: 7, increment: 0xffffffff },
  { type: FrameType.WS_MESSAGE, streamId: 9, data: bytes(104, 105), text: true, more: false },
  { type: FrameType.WS_MESSAGE, streamId: 9, data: bytes(0, 1), text: false, more: true },
  { type: FrameType.WS_CLOSE, streamId: 9, code: 1000, reason: 'bye ✓' },
  { type: FrameType.PING, streamId: 0, data: bytes(1, 2, 3, 4, 5, 6, 7, 8) },
  { type: FrameType.PONG, streamId: 0, data: bytes(8, 7, 6, 5, 4, 3, 2, 1) },
  { type: FrameType.SYNC, streamId: 0, upTo: 99, ids: [1, 3, 0xfffffffd] },
  { type: FrameType.SYNC, streamId: 0, upTo: 0, ids: [] },
  { type: FrameType.GOAWAY, streamId: 0, code: 'SUPERSEDED', reason: '' },
  { type: FrameType.BATCH, streamId: 0, frames: [endFrame(7), windowFrame(9, 1024)] },
  { type: FrameType.HELLO, streamId: 0, hello: { agentVersion: '1.2.3', sessionId: 's-1', replicaId: 'r-1', features: ['batch', 'later-feature'] } },
]

describe('frames', () => {
  it('has a sample of every frame type', () => {
    expect(new Set(samples.map((f) => f.type))).toEqual(new Set(Object.values(FrameType)))
  })

  it.each(samples.map((f) => [describeFrame(f), f] as const))('round-trips %s', (_, frame) => {
    const encoded = encodeFrame(frame)
    expect(encoded[0]).toBe(frame.type)
    const decoded = decodeFrame(encoded, defaultLimits)
    expect(decoded).toEqual({ ok: true, frame })
    if (decoded.ok) expect(encodeFrame(decoded.frame)).toEqual(encoded)
  })

  it('uses the documented layout', () => {
    expect([...dataFrame(0x01020304, bytes(9))]).toEqual([FrameType.DATA, 1, 2, 3, 4, 9])
    expect([...resetFrame(5, 'CANCELLED', 'x')]).toEqual([FrameType.RESET, 0, 0, 0, 5, 0, 8, 120])
  })

  it('cuts long reasons on a character boundary', () => {
    const f = resetFrame(1, 'INTERNAL', '✓'.repeat(100))
    const d = decodeFrame(f, defaultLimits)
    expect(d.ok && d.frame.type === FrameType.RESET && d.frame.reason).toBe('✓'.repeat(Math.floor(MAX_REASON_BYTES / 3)))
  })

  it('describes frames without header values, identities or queries', () => {
    const line = describeFrame(samples[2]!)
    expect(line).toBe('REQUEST_HEAD #7 GET /api/v1/pods headers=3 end')
    expect(line).not.toContain('alice')
    expect(line).not.toContain('watch')
  })
})

describe('decodeFrame rejects', () => {
  const limits = { maxFrameBytes: 1024, maxHeadBytes: 200 }
  const err = (b: Uint8Array) => {
    const r = decodeFrame(b, limits)
    if (r.ok) throw new Error(`decoded ${describeFrame(r.frame)}`)
    return r.error
  }

  it('short, oversized and unknown frames at session level', () => {
    expect(err(bytes(5, 0, 0))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 0 })
    expect(err(new Uint8Array(1025))).toMatchObject({ code: 'FRAME_TOO_LARGE', streamId: 0 })
    expect(err(bytes(99, 0, 0, 0, 1))).toMatchObject({ code: 'PROTOCOL_ERROR', message: 'unknown frame type 99' })
    expect(err(bytes(0, 0, 0, 0, 1))).toMatchObject({ code: 'PROTOCOL_ERROR' })
  })

  it('frames on the wrong stream', () => {
    expect(err(bytes(FrameType.DATA, 0, 0, 0, 0, 1))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 0 })
    expect(err(bytes(FrameType.PING, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 0 })
  })

  it('wrong payload sizes', () => {
    expect(err(bytes(FrameType.WINDOW, 0, 0, 0, 1, 0, 0, 1))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 0 })
    expect(err(bytes(FrameType.END, 0, 0, 0, 1, 0))).toMatchObject({ code: 'PROTOCOL_ERROR' })
    expect(err(bytes(FrameType.RESET, 0, 0, 0, 1, 0))).toMatchObject({ code: 'PROTOCOL_ERROR' })
    expect(err(bytes(FrameType.SYNC, 0, 0, 0, 0, 0, 0, 0, 1, 0))).toMatchObject({ code: 'PROTOCOL_ERROR' })
  })

  it('a zero WINDOW as a stream error', () => {
    expect(err(bytes(FrameType.WINDOW, 0, 0, 0, 3, 0, 0, 0, 0))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 3 })
  })

  it('bad or oversized heads as stream errors', () => {
    const head = { method: 'GET', path: '/x', headers: [['a', 'b\r\nc']], identity }
    const bad = requestHeadFrame(3, head as never, true)
    expect(err(bad)).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 3, type: FrameType.REQUEST_HEAD })
    expect(err(bad).message).toContain('head.headers[0][1]')
    const big = requestHeadFrame(5, { ...head, headers: [['a', 'x'.repeat(300)]] } as never, true)
    expect(err(big)).toMatchObject({ code: 'HEAD_TOO_LARGE', streamId: 5 })
    const notJson = new Uint8Array([FrameType.RESPONSE_HEAD, 0, 0, 0, 7, 0, 123])
    expect(err(notJson)).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 7 })
  })

  it('a bad hello at session level', () => {
    const f = new TextEncoder().encode('{"agentVersion":1}')
    expect(err(new Uint8Array([FrameType.HELLO, 0, 0, 0, 0, ...f]))).toMatchObject({ code: 'PROTOCOL_ERROR', streamId: 0 })
  })
})

describe('parseRequestHead', () => {
  const ok = { method: 'GET', path: '/api', headers: [], identity }
  it.each([
    ['a path without a slash', { ...ok, path: 'api' }, 'head.path'],
    ['a host-naming path', { ...ok, path: '//evil.example/api' }, 'head.path'],
    ['a path with a space', { ...ok, path: '/a b' }, 'head.path'],
    ['a bad method', { ...ok, method: 'GE T' }, 'head.method'],
    ['a header name with a colon', { ...ok, headers: [['a:b', 'c']] }, 'head.headers[0][0]'],
    ['a header triple', { ...ok, headers: [['a', 'b', 'c']] }, 'head.headers[0]'],
    ['no user', { ...ok, identity: { ...identity, user: '' } }, 'head.identity.user'],
    ['groups not strings', { ...ok, identity: { ...identity, groups: [1] } }, 'head.identity.groups[0]'],
    ['extra not lists', { ...ok, identity: { ...identity, extra: { a: 'b' } } }, 'head.identity.extra.a'],
    ['an array', [], 'head'],
  ])('rejects %s', (_, value, path) => {
    expect(() => parseRequestHead(value)).toThrow(path)
  })

  it('keeps only known fields and no prototype tricks', () => {
    const parsed = parseRequestHead(JSON.parse('{"method":"GET","path":"/","headers":[],"identity":{"user":"u","groups":[],"extra":{"__proto__":["x"]}},"evil":1}'))
    expect(parsed).not.toHaveProperty('evil')
    expect(Object.getPrototypeOf(parsed.identity.extra)).toBe(Object.prototype)
    expect(Object.keys(parsed.identity.extra)).toEqual(['__proto__'])
  })
})
