import { describe, expect, it } from 'vitest'
import { TunnelError } from './errors.ts'
import { maxMessageBytes, defaultLimits } from './limits.ts'
import { ABNORMAL_CLOSE } from './socket.ts'
import { readAll, sessionPair, settle, source, text, until, utf8 } from '../../test/support/tunnel-testing.ts'
import type { RequestHead, StreamHandler, TunnelSocket } from './types.ts'

const exec: RequestHead = {
  method: 'GET',
  path: '/api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true',
  headers: [],
  identity: { user: 'alice', groups: [], extra: {} },
  upgrade: { protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'] },
}
const http: StreamHandler['http'] = async () => ({ head: { status: 404, headers: [] }, body: null })

interface Recorder {
  messages: (string | Uint8Array)[]
  closes: [number, string][]
}
function record(socket: TunnelSocket): Recorder {
  const r: Recorder = { messages: [], closes: [] }
  socket.onmessage = (m) => r.messages.push(m)
  socket.onclose = (code, reason) => r.closes.push([code, reason])
  return r
}

/** An agent handler that accepts with the first protocol and echoes every message back. */
function echo(onSocket: (socket: TunnelSocket, r: Recorder, signal: AbortSignal) => void = () => {}): StreamHandler {
  return {
    http,
    async websocket(head, socket, signal) {
      const r = record(socket)
      socket.onmessage = (m) => {
        r.messages.push(m)
        if (m === 'close please') socket.close(4001, 'as asked')
        else socket.send(m)
      }
      onSocket(socket, r, signal)
      return { head: { status: 101, headers: [['x-upstream', 'yes']], protocol: head.upgrade!.protocols[0]! } }
    },
  }
}

describe('tunnelled WebSockets', () => {
  it('carries text and binary messages both ways and a close handshake', async () => {
    let agentSide: Recorder | undefined
    const { edge, agent } = sessionPair({ handler: echo((_s, r) => (agentSide = r)) })
    const { head, socket, body } = await edge.upgrade(exec)
    expect(head).toEqual({ status: 101, headers: [['x-upstream', 'yes']], protocol: 'v5.channel.k8s.io' })
    expect(body).toBeNull()
    const r = record(socket!)
    socket!.send('ls -l\n')
    socket!.send(new Uint8Array([0, 1, 2, 255]))
    socket!.send('')
    await until(() => r.messages.length === 3)
    expect(r.messages).toEqual(['ls -l\n', new Uint8Array([0, 1, 2, 255]), ''])
    socket!.close(4000, 'done')
    await until(() => r.closes.length === 1 && agentSide!.closes.length === 1)
    expect(agentSide!.closes).toEqual([[4000, 'done']])
    expect(r.closes).toEqual([[4000, 'done']])
    await until(() => edge.streamCount === 0 && agent.streamCount === 0)
    expect(() => socket!.send('late')).toThrow(TunnelError)
  })

  it('lets the agent side close first', async () => {
    const { edge } = sessionPair({ handler: echo() })
    const { socket } = await edge.upgrade(exec)
    const r = record(socket!)
    socket!.send('close please')
    await until(() => r.closes.length === 1)
    expect(r.closes).toEqual([[4001, 'as asked']])
  })

  it('delivers messages the agent sent before the 101 went out, in order', async () => {
    const { edge } = sessionPair({
      handler: echo((socket) => {
        socket.send('first')
        socket.send('second')
      }),
    })
    const { socket } = await edge.upgrade(exec)
    await settle()
    const r = record(socket!)
    await until(() => r.messages.length === 2)
    expect(r.messages).toEqual(['first', 'second'])
  })

  it('fragments messages larger than the window and reassembles them', async () => {
    const { edge } = sessionPair({ handler: echo(), limits: { streamWindow: 64 * 1024 } })
    const { socket } = await edge.upgrade(exec)
    const r = record(socket!)
    const big = new Uint8Array(maxMessageBytes(defaultLimits))
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
    socket!.send(big)
    // The message waits for credit; the caller sees it as buffered and its own memory is not kept.
    expect(socket!.bufferedAmount).toBeGreaterThan(0)
    big[big.length - 1]! ^= 0xff
    socket!.send('ü'.repeat(100_000))
    await until(() => r.messages.length === 2)
    big[big.length - 1]! ^= 0xff
    const got = r.messages[0] as Uint8Array
    expect(got.byteLength).toBe(big.byteLength)
    expect(got.every((b, i) => b === big[i])).toBe(true)
    expect(r.messages[1]).toBe('ü'.repeat(100_000))
    expect(socket!.bufferedAmount).toBe(0)
  })

  it('refuses messages over the size limit and a flood that ignores bufferedAmount', async () => {
    const { edge } = sessionPair({ handler: echo((s) => (s.onmessage = () => {})), limits: { streamWindow: 4096 } })
    const { socket } = await edge.upgrade(exec)
    expect(() => socket!.send(new Uint8Array(maxMessageBytes(defaultLimits) + 1))).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }))
    const r = record(socket!)
    let error: unknown
    try {
      for (let i = 0; i < 10_000; i++) socket!.send(new Uint8Array(64 * 1024))
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'BUFFER_FULL' })
    await until(() => r.closes.length === 1)
    expect(r.closes[0]![0]).toBe(ABNORMAL_CLOSE)
  })

  it('holds back credit while nobody takes messages', async () => {
    let agentSocket: TunnelSocket | undefined
    const { edge, agent } = sessionPair({
      limits: { streamWindow: 16 * 1024 },
      handler: {
        http,
        async websocket(_h, socket) {
          agentSocket = socket
          return { head: { status: 101, headers: [] } }
        },
      },
    })
    const { socket } = await edge.upgrade(exec)
    for (let i = 0; i < 100; i++) socket!.send(new Uint8Array(4096))
    await settle(50)
    // The agent never set onmessage: it holds at most the initial credit, the rest waits at the edge.
    expect(agent.bufferedBytes).toBeLessThanOrEqual(256 * 1024 + 100 * 16)
    expect(socket!.bufferedAmount).toBeGreaterThan(0)
    const got: unknown[] = []
    agentSocket!.onmessage = (m) => got.push(m)
    await until(() => got.length === 100)
    expect(socket!.bufferedAmount).toBe(0)
  })

  it('returns a refused upgrade with its body and no socket', async () => {
    const { edge, agent } = sessionPair({
      handler: {
        http,
        async websocket() {
          return { head: { status: 403, headers: [['content-type', 'application/json']] }, body: source([text('{"reason":"Forbidden"}')]).body }
        },
      },
    })
    const res = await edge.upgrade(exec)
    expect(res.head.status).toBe(403)
    expect(res.socket).toBeNull()
    expect(utf8(await readAll(res.body))).toBe('{"reason":"Forbidden"}')
    await until(() => edge.streamCount === 0 && agent.streamCount === 0)
  })

  it('fails the sockets on both sides when the session drops', async () => {
    let agentSide: { r: Recorder; signal: AbortSignal } | undefined
    const { edge, cut } = sessionPair({ handler: echo((_s, r, signal) => (agentSide = { r, signal })) })
    const { socket } = await edge.upgrade(exec)
    const r = record(socket!)
    cut()
    await until(() => r.closes.length === 1 && agentSide!.r.closes.length === 1)
    expect(r.closes[0]![0]).toBe(ABNORMAL_CLOSE)
    expect(r.closes[0]![1]).toContain('SESSION_CLOSED')
    expect(agentSide!.signal.aborted).toBe(true)
    expect(() => socket!.send('x')).toThrow(TunnelError)
  })

  it('a 101 for a plain request is an upstream error', async () => {
    const { edge } = sessionPair({
      handler: { http: async () => ({ head: { status: 101, headers: [] }, body: null }), websocket: echo().websocket },
    })
    await expect(edge.fetch({ ...exec, upgrade: undefined }, null)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' })
  })
})
