// The least a request through drover's edge shape can cost workerd, with none of drover's code: each path
// adds one piece of the data path's skeleton (bench/edge-floor.ts drives it and reads workerd's CPU).
//   /none    the worker answers by itself (workerd's HTTP server and one worker invocation)
//   /fetch   + the worker → Durable Object hop as fetch(Request), as the edge makes it
//   /rpc     the same hop as a JS RPC call that returns a Response (the alternative to fetch)
//   /tunnel  + one WebSocket message to a peer (the agent's place) and its answer back, as a tunnel does
//   /watch   a streamed answer the peer feeds one WebSocket message at a time (a watch's events)
import { DurableObject } from 'cloudflare:workers'

interface Env {
  FLOOR: DurableObjectNamespace<Floor>
}

/** A small GET's answer as the apiserver gives it: a Namespace's JSON and its usual headers. */
const BODY = new TextEncoder().encode(
  JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default', uid: 'x'.repeat(36), resourceVersion: '123' }, status: { phase: 'Active' } }),
)
const HEADERS: [string, string][] = [
  ['content-type', 'application/json'],
  ['audit-id', 'a'.repeat(36)],
  ['cache-control', 'no-cache, private'],
]
const IDENTITY = JSON.stringify({ user: 'bench', groups: ['ops'], extra: {} })

function answer(body: Uint8Array = BODY): Response {
  return new Response(body, { status: 200, headers: HEADERS, encodeBody: 'manual' })
}

export class Floor extends DurableObject<Env> {
  private peer?: WebSocket
  private pending = new Map<number, (body: Uint8Array) => void>()
  private next = 1
  private watchers: WritableStreamDefaultWriter<Uint8Array>[] = []

  override async fetch(req: Request): Promise<Response> {
    if (req.headers.get('upgrade') === 'websocket') {
      const pair = new WebSocketPair()
      this.ctx.acceptWebSocket(pair[1])
      this.peer = pair[1]
      return new Response(null, { status: 101, webSocket: pair[0] })
    }
    // What any receiver of an envelope does first: read its headers.
    let n = 0
    req.headers.forEach(() => n++)
    if (req.headers.get('x-floor-watch')) {
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
      this.watchers.push(writable.getWriter())
      return new Response(readable, { status: 200, headers: HEADERS, encodeBody: 'manual' })
    }
    if (!req.headers.get('x-floor-tunnel')) return answer()
    if (!this.peer) return new Response('no peer', { status: 503 })
    const id = this.next++
    const ask = new Uint8Array(64 + n)
    new DataView(ask.buffer).setUint32(0, id)
    this.peer.send(ask)
    return answer(await new Promise<Uint8Array>((resolve) => this.pending.set(id, resolve)))
  }

  async call(_method: string, _path: string, _headers: [string, string][], _identity: string): Promise<Response> {
    return answer()
  }

  override webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message === 'string') {
      // A watch event: on to every open watch, as the tunnel object passes a DATA frame to its stream.
      const event = new TextEncoder().encode(message)
      for (const w of this.watchers) void w.write(event).catch(() => {})
      return
    }
    const id = new DataView(message).getUint32(0)
    this.pending.get(id)?.(new Uint8Array(message, 4))
    this.pending.delete(id)
  }
}

function envelope(req: Request, mark: 'x-floor-tunnel' | 'x-floor-watch' | undefined): Request {
  const headers = new Headers()
  req.headers.forEach((v, n) => {
    if (n !== 'authorization') headers.append(n, v)
  })
  headers.set('x-floor-identity', IDENTITY)
  if (mark) headers.set(mark, '1')
  return new Request('https://object/api/v1/namespaces/default', { method: req.method, headers, signal: req.signal })
}

export default {
  async fetch(req, env) {
    const { pathname } = new URL(req.url)
    const stub = env.FLOOR.get(env.FLOOR.idFromName('floor'))
    switch (pathname) {
      case '/none':
        return answer()
      case '/fetch':
        return stub.fetch(envelope(req, undefined))
      case '/rpc': {
        const pairs: [string, string][] = []
        req.headers.forEach((v, n) => pairs.push([n, v]))
        return stub.call(req.method, '/api/v1/namespaces/default', pairs, IDENTITY)
      }
      case '/tunnel':
        return stub.fetch(envelope(req, 'x-floor-tunnel'))
      case '/watch':
        return stub.fetch(envelope(req, 'x-floor-watch'))
      case '/peer':
        return stub.fetch(req)
      default:
        return new Response('not found', { status: 404 })
    }
  },
} satisfies ExportedHandler<Env>
