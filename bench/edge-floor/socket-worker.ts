// The least workerd charges to hold an agent's tunnel the way the edge holds it, with none of drover's
// code (bench/socket-floor.ts drives it): one Durable Object per connection, which accepts the WebSocket
// through the hibernation API, answers keepalives by auto-response, writes one small value to its SQLite
// storage (as a tunnel object writes its status), and echoes one message (the hello). Or, for comparison,
// the worker holding the socket itself with no object.
import { DurableObject } from 'cloudflare:workers'

interface Env {
  HOLD: DurableObjectNamespace<Hold>
}

export class Hold extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('drover-ping', 'drover-pong'))
  }

  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    this.ctx.storage.kv.put('status', JSON.stringify({ connected: true, at: Date.now() }))
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    ws.send(message)
  }
}

export default {
  fetch(req: Request, env: Env): Response | Promise<Response> {
    const url = new URL(req.url)
    if (url.pathname.startsWith('/plain/')) {
      const pair = new WebSocketPair()
      pair[1].accept()
      pair[1].addEventListener('message', (e) => pair[1].send(e.data))
      return new Response(null, { status: 101, webSocket: pair[0] })
    }
    return env.HOLD.get(env.HOLD.idFromName(url.pathname)).fetch(req)
  },
}
