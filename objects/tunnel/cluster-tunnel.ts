import { DurableObject } from 'cloudflare:workers'
import type { ObjectBindings } from '../env.ts'
import { defaultLimits, FEATURE_BATCH, TUNNEL_FEATURES_HEADER, TUNNEL_SUBPROTOCOL, type Identity } from '../../protocol/tunnel/index.ts'
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { recordTunnelBytes, recordTunnelChange, registerTunnel } from '../metrics/edge-metrics.ts'
import { isEnvelopeHeader, openEnvelope, type OpenedEnvelope } from './envelope.ts'
import { errorResponse, proxyHttp, proxyUpgrade, requestHead } from './proxy.ts'
import { watchdogMs } from './cluster-status.ts'
import { AgentWait } from './agent-wait.ts'
import { checkOnWake, pushedConnected, retryNow, statusAlarm, statusChanged, type StatusHost } from './status-alarm.ts'
import { TunnelHub, type TunnelStatus } from './tunnel-hub.ts'

/** Agent sockets one cluster's tunnel accepts (agent replicas: one or two; reconnects overlap briefly). */
export const MAX_AGENT_SOCKETS = 16

/** Sessions and open streams of a hub, for the metrics. */
function figures(hub: TunnelHub): { sessions: number; streams: number } {
  const { sessions } = hub.status()
  return { sessions: sessions.length, streams: sessions.reduce((n, s) => n + s.streams, 0) }
}

/** Storage key prefix (on `local`'s object) of the clusters whose status push waits for `local`'s agent. */
const WAITING = 'waitingForLocal:'
/** Storage key prefix (on `local`'s object) of the clusters last pushed as connected. */
const CONNECTED = 'pushedConnected:'
/** Objects `local` wakes at once in its sweep. */
const SWEEP_CONCURRENCY = 16

/**
 * One per cluster (`idFromName(clusterId)`): holds that cluster's agent WebSockets through the
 * hibernation API and carries proxied requests over them. The logic lives in TunnelHub; this class only
 * turns Durable Object events into hub calls. Callers are authenticated by the worker before it wakes us.
 */
export class ClusterTunnel extends DurableObject<ObjectBindings> {
  private hub?: TunnelHub
  /** The cluster this object serves, once known (kept in storage too, for alarms after eviction). */
  private clusterId?: string
  /** Requests held while a cluster last pushed as connected has no agent session yet. */
  private readonly agentWait = new AgentWait()
  /** (On `local`) this instance has woken the clusters pushed as connected since its agent came. */
  private swept = false

  constructor(ctx: DurableObjectState, env: ObjectBindings) {
    super(ctx, env)
    // Agents' keepalives are answered without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('drover-ping', 'drover-pong'))
    // A new instance — after hibernation, eviction or a restart of the runtime — whose agents are gone.
    checkOnWake(this.statusHost, ctx.getWebSockets().length)
  }

  private readonly statusHost: StatusHost = {
    kv: this.ctx.storage.kv,
    setAlarm: (at) => void this.ctx.storage.setAlarm(at),
    watchdogMs: watchdogMs(this.env.TUNNEL_WATCHDOG_SECONDS),
    status: () => this.hubFor().status(),
    // The management cluster's own status goes through this very object.
    local: () => (this.clusterId === LOCAL_CLUSTER ? this : this.env.TUNNEL.get(this.env.TUNNEL.idFromName(LOCAL_CLUSTER))),
  }

  private hubFor(clusterId?: string): TunnelHub {
    // Read from storage once per object instance, not once per request.
    this.clusterId ??= this.ctx.storage.kv.get<string>('clusterId')
    if (clusterId && !this.clusterId) {
      this.ctx.storage.kv.put('clusterId', clusterId)
      this.clusterId = clusterId
    }
    if (!this.hub) {
      const hub = new TunnelHub(this.clusterId ?? 'unknown', { onChange: () => this.statusChanged(), onSent: (n) => recordTunnelBytes('out', n) })
      this.hub = hub
      if (this.clusterId) registerTunnel(this.clusterId, hub, figures)
      // Woken from hibernation: the agents' sockets are still open; a request may come before any message.
      for (const ws of this.ctx.getWebSockets()) this.hub.restore(ws)
      // `local` woken from hibernation with its agent still there: no restart happened, nothing to sweep.
      if (this.hub.connected) this.swept = true
    }
    return this.hub
  }

  override async fetch(req: Request): Promise<Response> {
    const envelope = openEnvelope(req)
    const hub = this.hubFor(envelope.cluster)
    switch (envelope.action) {
      case 'connect':
        return this.acceptAgent(hub)
      case 'proxy':
        return this.proxy(hub, req, envelope)
      default:
        return errorResponse(400, 'InvalidAction', 'unknown tunnel action')
    }
  }

  private acceptAgent(hub: TunnelHub): Response {
    // A registration token in the wrong hands must not buy unbounded sockets (and memory) in one object.
    if (this.ctx.getWebSockets().length >= MAX_AGENT_SOCKETS) {
      return errorResponse(429, 'TooManyAgents', `cluster ${hub.clusterId} already has ${MAX_AGENT_SOCKETS} agent connections; a stale one is dropped by its missed pings within seconds`)
    }
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    hub.attach(pair[1], Date.now())
    return new Response(null, {
      status: 101,
      webSocket: pair[0],
      headers: { 'sec-websocket-protocol': TUNNEL_SUBPROTOCOL, [TUNNEL_FEATURES_HEADER]: FEATURE_BATCH },
    })
  }

  private async proxy(hub: TunnelHub, req: Request, envelope: OpenedEnvelope): Promise<Response> {
    let session = hub.pick()
    // Its agents are likely dialling back (a restart, a blip): wait for one rather than fail at once.
    if (!session && pushedConnected(this.ctx.storage.kv) && (await this.agentWait.wait())) session = hub.pick()
    if (!session) return errorResponse(503, 'ClusterUnavailable', `cluster ${hub.clusterId} is not connected: no agent session`)
    let identity: Identity
    try {
      identity = envelope.identity()
    } catch {
      return errorResponse(400, 'InvalidIdentity', 'the proxied request carries no valid identity')
    }
    const head = requestHead(req, envelope.path, identity, isEnvelopeHeader)
    if (head.upgrade) return proxyUpgrade(session, head, hub.clusterId)
    return proxyHttp(() => hub.pick(), req, head, hub.clusterId)
  }

  async status(): Promise<TunnelStatus> {
    return this.hubFor().status()
  }

  /** Closes every agent socket (the cluster was deleted or its registration revoked). */
  disconnect(reason: string): number {
    const sockets = this.ctx.getWebSockets()
    for (const ws of sockets) ws.close(4003, reason.slice(0, 120))
    return sockets.length
  }

  /** Agents came or went, or reported new facts: push the Cluster's status. */
  private statusChanged(): void {
    if (this.hub?.connected) this.agentWait.arrived()
    statusChanged(this.statusHost)
    if (this.hub) recordTunnelChange(this.env.METRICS, this.hub.clusterId, figures(this.hub))
    // `local` got an agent: the other clusters' pushes that failed without one go now.
    if (this.clusterId === LOCAL_CLUSTER && this.hub?.connected) {
      const waiting = [...this.ctx.storage.kv.list<true>({ prefix: WAITING })].map(([k]) => k.slice(WAITING.length))
      for (const id of waiting) {
        this.ctx.storage.kv.delete(WAITING + id)
        if (id !== LOCAL_CLUSTER) void this.env.TUNNEL.get(this.env.TUNNEL.idFromName(id)).retryStatusPush().catch(() => {})
      }
      if (!this.swept) {
        this.swept = true
        void this.sweep()
      }
    }
  }

  /**
   * (On `local`, once per instance, when its agent is there) wakes every cluster last pushed as connected.
   * After the runtime restarted (a deploy, a crash, a local edge stopped), an object whose agent died
   * meanwhile gets no close event and nothing else would wake it before its watchdog; woken, it finds no
   * socket and says disconnected after WAKE_GRACE_MS. `local` is the one object sure to wake soon: every
   * status push needs its agent.
   */
  private async sweep(): Promise<void> {
    const ids = [...this.ctx.storage.kv.list<true>({ prefix: CONNECTED })].map(([k]) => k.slice(CONNECTED.length))
    const next = ids[Symbol.iterator]()
    const worker = async (): Promise<void> => {
      for (let r = next.next(); !r.done; r = next.next()) {
        await this.env.TUNNEL.get(this.env.TUNNEL.idFromName(r.value)).checkAgents().catch(() => {})
      }
    }
    await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker))
  }

  /** (On `local`) cluster `clusterId`'s status was pushed as connected, or no longer is. */
  async noteConnected(clusterId: string, connected: boolean): Promise<void> {
    if (clusterId === LOCAL_CLUSTER) return
    if (connected) this.ctx.storage.kv.put(CONNECTED + clusterId, true)
    else this.ctx.storage.kv.delete(CONNECTED + clusterId)
  }

  /** Woken by `local`'s sweep: a pushed "connected" with no socket behind it is checked after a grace. */
  checkAgents(): void {
    this.hubFor()
    checkOnWake(this.statusHost, this.ctx.getWebSockets().length)
  }

  /** (On `local`) a push of cluster `clusterId` failed: it is told when `local` next has an agent. */
  async wakeOnAgent(clusterId: string): Promise<void> {
    if (this.hubFor().connected) void this.env.TUNNEL.get(this.env.TUNNEL.idFromName(clusterId)).retryStatusPush().catch(() => {})
    else this.ctx.storage.kv.put(WAITING + clusterId, true)
  }

  /** `local` has an agent again: a pending push is retried now. */
  retryStatusPush(): void {
    retryNow(this.statusHost)
  }

  override async alarm(): Promise<void> {
    const hub = this.hubFor()
    hub.expireSilent(Date.now(), defaultLimits.pingTimeoutMs, (ws) => this.ctx.getWebSocketAutoResponseTimestamp(ws as WebSocket)?.getTime())
    if (this.clusterId) await statusAlarm(this.statusHost, this.clusterId)
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    recordTunnelBytes('in', typeof message === 'string' ? message.length : message.byteLength)
    this.hubFor().message(ws, message)
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.hubFor().closed(ws, `agent socket closed (${code}${reason ? `: ${reason}` : ''})`)
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.hubFor().closed(ws, `agent socket failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}
