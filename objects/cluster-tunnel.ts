import { DurableObject } from 'cloudflare:workers'
import { parseIdentity, TUNNEL_SUBPROTOCOL, type Identity } from '../protocol/tunnel/index.ts'
import { INTERNAL } from './internal.ts'
import { errorResponse, proxyHttp, proxyUpgrade, requestHead } from './proxy.ts'
import { TunnelHub, type TunnelStatus } from './tunnel-hub.ts'

/**
 * One per cluster (`idFromName(clusterId)`): holds that cluster's agent WebSockets through the
 * hibernation API and carries proxied requests over them. The logic lives in TunnelHub; this class only
 * turns Durable Object events into hub calls. Callers are authenticated by the worker before it wakes us.
 */
export class ClusterTunnel extends DurableObject<Record<string, unknown>> {
  private hub?: TunnelHub

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env)
    // Agents' keepalives are answered without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('drover-ping', 'drover-pong'))
  }

  private hubFor(clusterId?: string): TunnelHub {
    if (clusterId && !this.ctx.storage.kv.get('clusterId')) this.ctx.storage.kv.put('clusterId', clusterId)
    if (!this.hub) {
      this.hub = new TunnelHub(clusterId ?? String(this.ctx.storage.kv.get('clusterId') ?? 'unknown'))
      // Woken from hibernation: the agents' sockets are still open; a request may come before any message.
      for (const ws of this.ctx.getWebSockets()) this.hub.restore(ws)
    }
    return this.hub
  }

  override async fetch(req: Request): Promise<Response> {
    const clusterId = req.headers.get(INTERNAL.cluster) ?? undefined
    const hub = this.hubFor(clusterId)
    switch (req.headers.get(INTERNAL.action)) {
      case 'connect':
        return this.acceptAgent(hub)
      case 'proxy':
        return this.proxy(hub, req)
      default:
        return errorResponse(400, 'InvalidAction', 'unknown tunnel action')
    }
  }

  private acceptAgent(hub: TunnelHub): Response {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    hub.attach(pair[1], Date.now())
    return new Response(null, { status: 101, webSocket: pair[0], headers: { 'sec-websocket-protocol': TUNNEL_SUBPROTOCOL } })
  }

  private async proxy(hub: TunnelHub, req: Request): Promise<Response> {
    const session = hub.pick()
    if (!session) return errorResponse(503, 'ClusterUnavailable', `cluster ${hub.clusterId} is not connected: no agent session`)
    let identity: Identity
    try {
      identity = parseIdentity(JSON.parse(req.headers.get(INTERNAL.identity) ?? 'null'))
    } catch {
      return errorResponse(400, 'InvalidIdentity', 'the proxied request carries no valid identity')
    }
    const url = new URL(req.url)
    const head = requestHead(req, url.pathname + url.search, identity)
    head.headers = head.headers.filter(([n]) => !n.startsWith('x-drover-'))
    if (head.upgrade) return proxyUpgrade(session, head, hub.clusterId)
    return proxyHttp(() => hub.pick(), req, head, hub.clusterId)
  }

  async status(): Promise<TunnelStatus> {
    return this.hubFor().status()
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.hubFor().message(ws, message)
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.hubFor().closed(ws, `agent socket closed (${code}${reason ? `: ${reason}` : ''})`)
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.hubFor().closed(ws, `agent socket failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}
