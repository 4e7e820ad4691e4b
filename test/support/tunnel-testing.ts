// Test support for tunnel code: two real sessions wired back to back through an in-memory WebSocket,
// and body helpers. Web-standard only: the Node tests (protocol/, agent/) and the workerd tests
// (objects/) both import it, so it type-checks under both tsconfigs.
import type { Clock } from '../../protocol/tunnel/clock.ts'
import { decodeFrame, type Frame } from '../../protocol/tunnel/frame.ts'
import type { Limits } from '../../protocol/tunnel/limits.ts'
import { TunnelSession, type TunnelSessionOptions } from '../../protocol/tunnel/session.ts'
import type { StreamHandler, Transport } from '../../protocol/tunnel/types.ts'

/** One direction of the in-memory socket: messages arrive in order, in a later task, like a WebSocket. */
export class Pipe {
  private queue: (Uint8Array | string)[] = []
  private scheduled = false
  closed = false
  /** Every message sent, for inspection; cleared by the test when it likes. */
  readonly log: (Uint8Array | string)[] = []
  keepLog = false

  constructor(private deliver: (m: Uint8Array | string) => void) {}

  send(m: Uint8Array | string): void {
    if (this.closed) throw new Error('socket closed')
    // A copy: the receiver must not see later changes to the sender's memory, as on a real socket.
    const copy = typeof m === 'string' ? m : m.slice()
    if (this.keepLog) this.log.push(copy)
    this.queue.push(copy)
    if (this.scheduled) return
    this.scheduled = true
    setTimeout(() => this.flush(), 0)
  }

  private flush(): void {
    this.scheduled = false
    for (let m = this.queue.shift(); m !== undefined && !this.closed; m = this.queue.shift()) this.deliver(m)
  }
}

export interface PairOptions {
  handler: StreamHandler
  clock?: Clock
  limits?: Partial<Limits>
  edgeLimits?: Partial<Limits>
  agentLimits?: Partial<Limits>
  edge?: Partial<TunnelSessionOptions>
  agent?: Partial<TunnelSessionOptions>
}

export interface SessionPair {
  edge: TunnelSession
  agent: TunnelSession
  /** Frames the edge sent (to the agent) and the agent sent, when `keepLog` is set on them. */
  toAgent: Pipe
  toEdge: Pipe
  /** Drops the socket as a network failure would: both hosts see it close. */
  cut(): void
}

/** An edge and an agent session joined by an in-memory socket; each host closes its session when the socket closes. */
export function sessionPair(o: PairOptions): SessionPair {
  let edge!: TunnelSession
  let agent!: TunnelSession
  const toAgent = new Pipe((m) => agent.receive(m))
  const toEdge = new Pipe((m) => edge.receive(m))
  const cut = (): void => {
    toAgent.closed = toEdge.closed = true
    if (!edge.closed) edge.close('SESSION_CLOSED', 'the socket closed')
    if (!agent.closed) agent.close('AGENT_SHUTDOWN', 'the socket closed')
  }
  const transport = (out: Pipe): Transport => ({
    send: (m) => out.send(m),
    close: () => queueMicrotask(cut),
  })
  const common = { ...(o.clock ? { clock: o.clock } : {}) }
  edge = new TunnelSession({ role: 'edge', transport: transport(toAgent), ...common, limits: { ...o.limits, ...o.edgeLimits }, ...o.edge })
  agent = new TunnelSession({
    role: 'agent',
    transport: transport(toEdge),
    handler: o.handler,
    ...common,
    limits: { ...o.limits, ...o.agentLimits },
    ...o.agent,
  })
  return { edge, agent, toAgent, toEdge, cut }
}

/** Waits (in real macrotasks) until `cond` holds; throws after `tasks` turns. */
export async function until(cond: () => boolean, tasks = 2000): Promise<void> {
  for (let i = 0; i < tasks; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 0))
  }
  throw new Error('condition not reached')
}

/** Lets `tasks` macrotasks pass, so in-flight frames settle. */
export async function settle(tasks = 20): Promise<void> {
  for (let i = 0; i < tasks; i++) await new Promise((r) => setTimeout(r, 0))
}

export async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0)
  const parts: Uint8Array[] = []
  for (const reader = body.getReader(); ; ) {
    const { done, value } = await reader.read()
    if (done) break
    parts.push(value)
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A body that yields `chunks` lazily; `pulled` counts what the reader has taken so far. */
export function source(chunks: Iterable<Uint8Array>): { body: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => unknown } {
  const it = chunks[Symbol.iterator]()
  let pulled = 0
  let cancelled: unknown
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        const next = it.next()
        if (next.done) return c.close()
        pulled += next.value.byteLength
        c.enqueue(next.value)
      },
      cancel(reason) {
        cancelled = reason ?? 'cancelled'
      },
    },
    { highWaterMark: 0 },
  )
  return { body, pulled: () => pulled, cancelled: () => cancelled }
}

/** `total` bytes of a position-dependent pattern, in `size` chunks. */
export function* pattern(total: number, size: number): Generator<Uint8Array> {
  for (let at = 0; at < total; at += size) {
    const chunk = new Uint8Array(Math.min(size, total - at))
    for (let i = 0; i < chunk.length; i++) chunk[i] = ((at + i) * 31 + ((at + i) >> 13)) & 0xff
    yield chunk
  }
}

/** Reads `body`, checking it against `pattern(total, …)` without keeping it; calls `onChunk` per chunk. */
export async function expectPattern(body: ReadableStream<Uint8Array>, total: number, onChunk: (got: number) => void = () => {}): Promise<number> {
  let at = 0
  for (const reader = body.getReader(); ; ) {
    const { done, value } = await reader.read()
    if (done) break
    for (let i = 0; i < value.length; i++) {
      if (value[i] !== (((at + i) * 31 + ((at + i) >> 13)) & 0xff)) throw new Error(`byte ${at + i} differs`)
    }
    at += value.length
    onChunk(at)
  }
  if (at !== total) throw new Error(`got ${at} bytes, expected ${total}`)
  return at
}

/** A transport that keeps what is sent, for driving one session by hand. */
export function captureTransport(): {
  transport: Transport
  sent: (Uint8Array | string)[]
  frames: () => Frame[]
  closed: () => [number, string] | undefined
} {
  const sent: (Uint8Array | string)[] = []
  let closed: [number, string] | undefined
  return {
    transport: { send: (m) => void sent.push(typeof m === 'string' ? m : m.slice()), close: (code, reason) => (closed ??= [code, reason]) },
    sent,
    frames: () =>
      sent.flatMap((m) => {
        if (typeof m === 'string') return []
        const r = decodeFrame(m, { maxFrameBytes: Infinity, maxHeadBytes: Infinity })
        return r.ok ? [r.frame] : []
      }),
    closed: () => closed,
  }
}
