import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { TUNNEL_SUBPROTOCOL, TunnelSession, type ClusterFacts, type Hello } from '../../protocol/tunnel/index.ts'

/** The tunnel token the test edge accepts. */
export const TOKEN = 'tunnel-token-123'

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
