import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { pino, type Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  TUNNEL_SUBPROTOCOL,
  TunnelSession,
  type ClusterFacts,
  type Hello,
  type Identity,
  type RequestHead,
  type TunnelSocket,
} from '../protocol/tunnel/index.ts'

/** Helpers shared by the agent's tests. */

export const silentLogger: Logger = pino({ level: 'silent' })

export const ADMIN: Identity = { user: 'drover-admin', groups: ['system:masters'], extra: {} }

export function getHead(path: string, identity: Identity = ADMIN, headers: [string, string][] = []): RequestHead {
  return { method: 'GET', path, headers, identity }
}

export async function readText(body: ReadableStream<Uint8Array> | null | undefined): Promise<string> {
  if (!body) return ''
  return new Response(body).text()
}

export async function readJson<T = unknown>(body: ReadableStream<Uint8Array> | null | undefined): Promise<T> {
  return JSON.parse(await readText(body)) as T
}

export function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder()
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(enc.encode(next))
    },
  })
}

/** A TunnelSocket that records what the upstream side sends and lets a test play the client. */
export class RecordingSocket implements TunnelSocket {
  readonly sent: (string | Uint8Array)[] = []
  closed?: { code?: number; reason?: string }
  bufferedAmount = 0
  onmessage?: (data: string | Uint8Array) => void
  onclose?: (code: number, reason: string) => void
  private waiters: (() => void)[] = []

  send(data: string | Uint8Array): void {
    this.sent.push(data)
    this.wake()
  }

  close(code?: number, reason?: string): void {
    this.closed = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) }
    this.wake()
  }

  /** Resolves once `done()` holds, re-checked on every send or close. */
  async until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the tunnel socket')
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }
}

export const TOKEN = 'tunnel-token-123'

export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Plays the edge: accepts the tunnel subprotocol and runs an edge-side session per connection. On its own
 * port over plain HTTP, or on the upgrades of a given HTTPS server (already listening on 127.0.0.1).
 */
export class FakeEdge {
  readonly wss: WebSocketServer
  readonly hellos: Hello[] = []
  readonly facts: ClusterFacts[] = []
  readonly upgrades: IncomingMessage[] = []
  readonly sockets: WebSocket[] = []
  readonly closes: { code: number; reason: string }[] = []
  readonly sessions: TunnelSession[] = []
  rejectWith?: number
  private readonly muted = new WeakSet<WebSocket>()

  constructor(private readonly https?: HttpsServer) {
    this.wss = new WebSocketServer({
      ...(https ? { server: https } : { host: '127.0.0.1', port: 0 }),
      handleProtocols: (protocols) => (protocols.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
      verifyClient: (info, cb) => {
        this.upgrades.push(info.req)
        if (this.rejectWith) cb(false, this.rejectWith)
        else cb(info.req.headers['x-api-tunnel-token'] === TOKEN, 401)
      },
    })
    this.wss.on('connection', (ws) => {
      this.sockets.push(ws)
      const session = new TunnelSession({
        role: 'edge',
        transport: { send: (m) => ws.send(m), close: (code, reason) => ws.close(code, reason) },
        onHello: (h: Hello) => this.hellos.push(h),
        onFacts: (f: ClusterFacts) => this.facts.push(f),
      })
      this.sessions.push(session)
      ws.on('message', (data, isBinary) => {
        if (this.muted.has(ws)) return
        const buf = data as Buffer
        session.receive(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString('utf8'))
      })
      ws.on('close', (code, reason) => {
        this.closes.push({ code, reason: reason.toString() })
        if (!session.closed) session.close('SESSION_CLOSED', 'test edge socket closed')
      })
    })
  }

  /** Stops reading what the connected agents send, as a half-open link would; new connections are heard. */
  mute(): void {
    for (const ws of this.sockets) this.muted.add(ws)
  }

  async url(): Promise<string> {
    if (!this.wss.address()) await once(this.wss, 'listening')
    return `${this.https ? 'https' : 'http'}://127.0.0.1:${(this.wss.address() as AddressInfo).port}`
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate()
    return new Promise((resolve) => this.wss.close(() => resolve()))
  }
}
