import { errorBody } from '../../protocol/api/error.ts'
import { TunnelError, httpStatusFor, type Identity, type RequestHead, type TunnelSession, type TunnelSocket } from '../../protocol/tunnel/index.ts'

/** A Rancher-style error response; the body comes from the same builder the worker uses. */
export function errorResponse(status: number, code: string, message: string): Response {
  return Response.json(errorBody(status, code, message), { status })
}

export function tunnelErrorResponse(err: unknown, clusterId: string): Response {
  if (err instanceof TunnelError) {
    return errorResponse(httpStatusFor(err.code), err.code, `cluster ${clusterId}: ${err.message}`)
  }
  return errorResponse(502, 'BadGateway', `cluster ${clusterId}: the tunnel failed`)
}

/** Headers of this hop only (RFC 9110 §7.6.1), plus host and content-length, which the runtime sets for each hop. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
  'content-length',
])

export function headerPairs(headers: Headers, drop: (name: string) => boolean = () => false): [string, string][] {
  const out: [string, string][] = []
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !drop(name)) out.push([name, value])
  })
  return out
}

/** The tunnel head for `req`: its headers but hop-by-hop ones and any `drop` names, in one pass. */
export function requestHead(req: Request, path: string, identity: Identity, drop?: (name: string) => boolean): RequestHead {
  const head: RequestHead = { method: req.method, path, headers: headerPairs(req.headers, drop), identity }
  if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
    const protocols = (req.headers.get('sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
    head.upgrade = { protocols }
    head.headers = head.headers.filter(([n]) => !n.startsWith('sec-websocket-'))
  }
  return head
}

/**
 * A request without a body that fails retryably before any answer (its agent session died in the
 * meantime) is tried once more on another session: replicas are there so that one can die.
 */
async function fetchWithRetry(pick: () => TunnelSession | undefined, req: Request, head: RequestHead) {
  const session = pick()
  if (!session) throw new TunnelError('SESSION_CLOSED', 'no agent session')
  try {
    return await session.fetch(head, req.body, req.signal)
  } catch (e) {
    const again = req.body === null && e instanceof TunnelError && e.retryable ? pick() : undefined
    if (!again || again === session) throw e
    return again.fetch(head, null, req.signal)
  }
}

export async function proxyHttp(pick: () => TunnelSession | undefined, req: Request, head: RequestHead, clusterId: string): Promise<Response> {
  try {
    const res = await fetchWithRetry(pick, req, head)
    const headers = responseHeaders(res.head.headers)
    // No re-compression on the way out: it would hold back watch events until a compressor flushes.
    if (!headers.has('content-encoding')) headers.set('content-encoding', 'identity')
    // A small answer has usually arrived whole with its head (one BATCH): bytes, not a stream, travel
    // on to the worker and the client (with a Content-Length, and nothing for the runtime to pump).
    const body = nullBodyStatus(res.head.status) ? null : (res.whole() ?? res.body)
    return new Response(body, {
      status: res.head.status,
      headers,
      // The body is already encoded as its Content-Encoding says (the apiserver gzips large lists):
      // pass it through instead of letting the runtime encode it again.
      encodeBody: 'manual',
    })
  } catch (e) {
    return tunnelErrorResponse(e, clusterId)
  }
}

/** Bridges a client WebSocket (kubectl exec/attach/port-forward) to a tunnelled one. */
export async function proxyUpgrade(session: TunnelSession, head: RequestHead, clusterId: string): Promise<Response> {
  let result
  try {
    result = await session.upgrade(head)
  } catch (e) {
    return tunnelErrorResponse(e, clusterId)
  }
  const { socket } = result
  if (result.head.status !== 101 || !socket) {
    return new Response(result.body, { status: result.head.status, headers: responseHeaders(result.head.headers) })
  }
  const pair = new WebSocketPair()
  const [client, server] = [pair[0], pair[1]]
  // Newer compatibility dates deliver binary messages as Blob unless asked otherwise.
  server.binaryType = 'arraybuffer'
  server.accept()
  bridge(server, socket)
  const headers = new Headers()
  if (result.head.protocol) headers.set('sec-websocket-protocol', result.head.protocol)
  return new Response(null, { status: 101, webSocket: client, headers })
}

function bridge(client: WebSocket, tunnel: TunnelSocket): void {
  client.addEventListener('message', (e) => {
    try {
      tunnel.send(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer))
    } catch {
      client.close(1011, 'tunnel closed')
    }
  })
  client.addEventListener('close', (e) => tunnel.close(e.code === 1005 ? 1000 : e.code, e.reason))
  client.addEventListener('error', () => tunnel.close(1011, 'client error'))
  tunnel.onmessage = (data) => {
    try {
      client.send(data)
    } catch {
      tunnel.close(1011, 'client gone')
    }
  }
  tunnel.onclose = (code, reason) => {
    try {
      client.close(code === 1005 || code === 1006 ? 1000 : code, reason)
    } catch {
      /* already closed */
    }
  }
}

function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304
}

function responseHeaders(pairs: [string, string][]): Headers {
  const h = new Headers()
  for (const [n, v] of pairs) if (!HOP_BY_HOP.has(n.toLowerCase())) h.append(n, v)
  return h
}
