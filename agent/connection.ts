import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import WebSocket from 'ws'
import {
  errorCodeFromClose,
  FEATURE_BATCH,
  noCounters,
  TUNNEL_FEATURES_HEADER,
  TUNNEL_SUBPROTOCOL,
  TunnelSession,
  type Clock,
  type Limits,
  type StreamHandler,
  type TunnelCounters,
  type TunnelError,
} from '../protocol/tunnel/index.ts'
import type { Backoff } from '../node/backoff.ts'
import { closeArgs } from './close-codes.ts'
import { CaMismatchError, type EdgeTrust } from './edge-trust.ts'
import { FactsReporter, type CollectFacts } from './facts.ts'
import { errorText } from '../node/log.ts'
import { proxyAgentFor } from './proxy.ts'

export interface ConnectorOptions {
  /** `ws:`/`wss:` URL of the edge's `/v3/connect`. */
  url: URL
  /** The URL proxies are looked up for (the http(s) form of `url`). */
  proxyLookupUrl: URL
  token: string
  handler: StreamHandler
  logger: Logger
  clock: Clock
  backoff: Backoff
  agentVersion: string
  replicaId: string
  collectFacts?: CollectFacts
  factsIntervalMs?: number
  limits?: Partial<Limits>
  /** Whom to trust at the edge: settles the TLS options before every dial (edge-trust.ts). */
  trust: EdgeTrust
}

const HANDSHAKE_TIMEOUT_MS = 15_000
/** How long a closing socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 5_000
/** Node's codes for a server certificate that does not verify against the trusted CAs. */
const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * One agent's link to the edge: a WebSocket at a time, a fresh TunnelSession per socket, and a
 * jittered backoff between attempts. Every way a connection can end — refused upgrade, network error,
 * ping timeout, edge close — goes through the socket's 'close' event and from there to the next attempt.
 */
export class Connector {
  private ws?: WebSocket
  private session?: TunnelSession
  private readonly past: TunnelCounters = noCounters()
  private facts?: FactsReporter
  private retryTimer: unknown
  private graceTimer: unknown
  private trustPending?: AbortController
  private stopped = false
  private readonly stopWaiters: (() => void)[] = []

  constructor(private readonly o: ConnectorOptions) {}

  get connected(): boolean {
    return this.session !== undefined && !this.session.closed
  }

  /** Messages, frames and bytes through every tunnel session of this agent so far. */
  counters(): TunnelCounters {
    const total = { ...this.past }
    const live = this.session?.counters
    if (live) for (const k of Object.keys(total) as (keyof TunnelCounters)[]) total[k] += live[k]
    return total
  }

  /** Streams open on the current session. */
  get streams(): number {
    return this.session?.streamCount ?? 0
  }

  private addPast(c: Readonly<TunnelCounters>): void {
    for (const k of Object.keys(this.past) as (keyof TunnelCounters)[]) this.past[k] += c[k]
  }

  start(): void {
    this.connect()
  }

  /** Something the facts include changed: the current session's reporter sends them now if they differ. */
  refreshFacts(): void {
    this.facts?.refresh()
  }

  stop(): Promise<void> {
    this.stopped = true
    this.o.clock.clearTimeout(this.retryTimer)
    this.trustPending?.abort()
    const ws = this.ws
    if (!ws) return Promise.resolve()
    return new Promise((resolve) => {
      this.stopWaiters.push(resolve)
      const session = this.session
      if (session && !session.closed) session.close('AGENT_SHUTDOWN', 'agent stopping')
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1001, 'agent stopping')
      this.cutAfterGrace(ws)
    })
  }

  /** Settles whom to trust first: without a verified CA (when one is pinned) nothing is dialed. */
  private connect(): void {
    if (this.stopped) return
    const pending = new AbortController()
    this.trustPending = pending
    this.o.trust.tlsOptions(pending.signal).then(
      (tls) => {
        this.trustPending = undefined
        if (!this.stopped) this.dial(tls)
      },
      (e: unknown) => {
        this.trustPending = undefined
        if (!this.stopped) this.untrusted(e)
      },
    )
  }

  /** No CA to trust: refuse to dial, say why, and try again with the usual backoff. */
  private untrusted(e: unknown): void {
    const { o } = this
    const retryInMs = o.backoff.next(0)
    const edge = o.url.host
    if (e instanceof CaMismatchError) {
      o.logger.error(
        { edge, expected: e.expected, received: e.received, retryInMs },
        `the edge's CA does not match the CA checksum (expected ${e.expected}, received ${e.received}); refusing to connect`,
      )
    } else {
      o.logger.error({ edge, err: errorText(e), retryInMs }, "cannot fetch the edge's CA to check it against the CA checksum; refusing to connect")
    }
    this.retryTimer = o.clock.setTimeout(() => this.connect(), retryInMs)
  }

  private dial(tls: { ca?: string[] }): void {
    const { o } = this
    const sessionId = randomUUID()
    const agent = proxyAgentFor(o.proxyLookupUrl)
    const ws = new WebSocket(o.url, TUNNEL_SUBPROTOCOL, {
      ...tls,
      headers: { 'X-API-Tunnel-Token': o.token },
      followRedirects: false,
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      // Masking keeps a browser's script from steering what a proxy that reads the plain stream sees
      // (RFC 6455 §10.3). Inside TLS no proxy reads it, and an all-zero mask lets ws skip the XOR pass and
      // the copy over every byte sent (the bulk of the agent's CPU on large responses). Plain ws: keeps it.
      ...(o.url.protocol === 'wss:' ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
      ...(agent ? { agent, secureEndpoint: o.url.protocol === 'wss:' } : {}),
    })
    this.ws = ws
    const attempt: Attempt = { sessionId }
    ws.on('upgrade', (res) => {
      const features = String(res.headers[TUNNEL_FEATURES_HEADER] ?? '').split(',').map((f) => f.trim())
      attempt.edgeBatches = features.includes(FEATURE_BATCH)
    })
    ws.on('unexpected-response', (_req, res) => {
      attempt.status = res.statusCode
      res.resume()
      ws.terminate()
    })
    ws.on('error', (err) => (attempt.error ??= err))
    ws.on('open', () => this.opened(ws, attempt))
    ws.on('message', (data, isBinary) => this.received(ws, data, isBinary))
    ws.on('close', (code, reason) => this.closed(ws, attempt, code, reason.toString('utf8')))
  }

  private opened(ws: WebSocket, attempt: Attempt): void {
    const { o } = this
    attempt.openedAt = o.clock.now()
    if (ws.protocol !== TUNNEL_SUBPROTOCOL) {
      o.logger.error({ protocol: ws.protocol }, 'the edge did not accept the tunnel subprotocol')
      ws.close(1002, 'tunnel subprotocol required')
      return
    }
    const session = new TunnelSession({
      role: 'agent',
      transport: {
        send: (message) => ws.send(message),
        close: (code, reason) => closeSocket(ws, code, reason),
      },
      clock: o.clock,
      handler: o.handler,
      ...(o.limits ? { limits: o.limits } : {}),
      // Frames written while handling one batch of socket events leave as one message.
      ...(attempt.edgeBatches ? { batch: (flush: () => void) => void setImmediate(flush) } : {}),
      onClose: (error) => this.sessionClosed(ws, error),
    })
    this.session = session
    session.sendHello({ agentVersion: o.agentVersion, sessionId: attempt.sessionId, replicaId: o.replicaId, features: [FEATURE_BATCH] })
    if (o.collectFacts) {
      this.facts = new FactsReporter({
        collect: o.collectFacts,
        send: (facts) => {
          if (!session.closed) session.sendFacts(facts)
        },
        clock: o.clock,
        logger: o.logger,
        ...(o.factsIntervalMs ? { intervalMs: o.factsIntervalMs } : {}),
      })
      this.facts.start()
    }
    o.logger.info({ sessionId: attempt.sessionId, edge: o.url.host }, 'connected to the edge')
  }

  private received(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (ws !== this.ws || !this.session) return
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    try {
      this.session.receive(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString('utf8'))
    } catch (e) {
      this.o.logger.error({ err: errorText(e) }, 'tunnel session failed on a message; reconnecting')
      ws.terminate()
    }
  }

  /** The session ended on its own (ping timeout, protocol error, edge goodbye): the socket must follow. */
  private sessionClosed(ws: WebSocket, error: TunnelError): void {
    this.facts?.stop()
    const level = error.code === 'AGENT_SHUTDOWN' || error.code === 'SESSION_CLOSED' ? 'info' : 'warn'
    this.o.logger[level]({ code: error.code, reason: error.message }, 'tunnel session closed')
    if (ws.readyState === WebSocket.CLOSED) return
    // A dead link never finishes a close handshake: cut it at once and reconnect.
    if (error.code === 'PING_TIMEOUT') return ws.terminate()
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'session closed')
    this.cutAfterGrace(ws)
  }

  private closed(ws: WebSocket, attempt: Attempt, code: number, reason: string): void {
    if (ws !== this.ws) return
    const { o } = this
    this.ws = undefined
    o.clock.clearTimeout(this.graceTimer)
    this.facts?.stop()
    this.facts = undefined
    const session = this.session
    this.session = undefined
    if (session) this.addPast(session.counters)
    // Fails the streams still in flight at once, so their clients see an error instead of a hang.
    if (session && !session.closed) session.close('SESSION_CLOSED', 'connection to the edge closed')
    // A refused upgrade (the only way to a bad-token status) never opened: its uptime of 0 keeps toCap.
    const uptimeMs = attempt.openedAt === undefined ? 0 : o.clock.now() - attempt.openedAt
    const badToken = attempt.status === 401 || attempt.status === 403
    if (badToken) o.backoff.toCap()
    if (this.stopped) {
      if (attempt.openedAt !== undefined) o.logger.info({ sessionId: attempt.sessionId }, 'disconnected from the edge')
      for (const resolve of this.stopWaiters.splice(0)) resolve()
      return
    }
    const retryInMs = o.backoff.next(uptimeMs)
    this.report(attempt, code, reason, retryInMs)
    this.retryTimer = o.clock.setTimeout(() => this.connect(), retryInMs)
  }

  private report(attempt: Attempt, code: number, reason: string, retryInMs: number): void {
    const { logger, url } = this.o
    const edge = url.host
    if (attempt.status === 401 || attempt.status === 403) {
      logger.error({ status: attempt.status, edge, retryInMs }, 'the edge rejected the agent token; check --token / DROVER_AGENT_TOKEN')
    } else if (attempt.status !== undefined) {
      logger.warn({ status: attempt.status, edge, retryInMs }, 'the edge refused the tunnel upgrade')
    } else if (attempt.openedAt === undefined && CERT_ERRORS.has((attempt.error as { code?: string } | undefined)?.code ?? '')) {
      const anchors = this.o.trust.pinned ? 'the pinned CA (strict TLS mode)' : 'the trusted CAs'
      logger.error({ edge, err: errorText(attempt.error), retryInMs }, `the edge's certificate does not verify against ${anchors}; refusing to connect`)
    } else if (attempt.openedAt === undefined) {
      logger.warn({ edge, err: attempt.error ? errorText(attempt.error) : undefined, retryInMs }, 'cannot connect to the edge')
    } else {
      const tunnelCode = errorCodeFromClose(code)
      logger.info({ sessionId: attempt.sessionId, code, ...(tunnelCode ? { tunnelCode } : {}), reason, retryInMs }, 'disconnected from the edge')
    }
  }

  private cutAfterGrace(ws: WebSocket): void {
    this.o.clock.clearTimeout(this.graceTimer)
    this.graceTimer = this.o.clock.setTimeout(() => {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate()
    }, CLOSE_GRACE_MS)
  }
}

interface Attempt {
  sessionId: string
  openedAt?: number
  status?: number
  error?: Error
  /** The edge's 101 said it accepts BATCH frames. */
  edgeBatches?: boolean
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CONNECTING) return
  ws.close(...closeArgs(code, reason))
}
