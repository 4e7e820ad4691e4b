import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { TunnelSocket } from '../protocol/tunnel/index.ts'
import { responseBody } from './body.ts'
import { joinPath, type UpstreamTarget } from '../node/kube/credentials.ts'
import { responseHeaders } from './headers.ts'
import { errorText } from '../node/log.ts'
import { holdWhileTunnelBacked, type WebSocketAnswer } from './upstream-ws.ts'

/** kubectl ≥ 1.31's WebSocket port-forward: SPDY frames carried as WebSocket binary messages. */
export const SPDY_OVER_WEBSOCKET = 'SPDY/3.1+portforward.k8s.io'

/**
 * Serves `SPDY/3.1+portforward.k8s.io` the way the apiserver itself does: the WebSocket is only a pipe
 * for a SPDY byte stream. The agent opens a plain SPDY upgrade to the apiserver and relays bytes, so no
 * WebSocket client has to offer a subprotocol name with a '/' in it (which `ws` refuses, per RFC 6455).
 */
export function dialSpdyTunnel(o: {
  target: UpstreamTarget
  path: string
  headers: OutgoingHttpHeaders
  socket: TunnelSocket
  signal: AbortSignal
  logger: Logger
}): Promise<WebSocketAnswer> {
  const { url } = o.target
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  const headers: OutgoingHttpHeaders = {
    ...o.headers,
    ...(o.target.authorization ? { authorization: o.target.authorization } : {}),
    connection: 'Upgrade',
    upgrade: 'SPDY/3.1',
    'x-stream-protocol-version': 'portforward.k8s.io',
  }
  return new Promise((resolve, reject) => {
    const req = request({
      ...(url.protocol === 'https:' ? o.target.tls : {}),
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      method: 'POST',
      path: joinPath(url, o.path),
      headers,
      signal: o.signal,
    })
    req.on('error', reject)
    req.on('response', (res: IncomingMessage) => {
      resolve({ head: { status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders) }, body: responseBody(res) })
    })
    req.on('upgrade', (_res: IncomingMessage, upstream: Socket, head: Buffer) => {
      relay(upstream, head, o.socket, o.logger)
      resolve({ head: { status: 101, headers: [], protocol: SPDY_OVER_WEBSOCKET } })
    })
    req.end()
  })
}

function relay(upstream: Socket, head: Buffer, tunnel: TunnelSocket, logger: Logger): void {
  let closed = false
  const close = (code: number, reason: string) => {
    if (closed) return
    closed = true
    tunnel.close(code, reason)
    upstream.destroy()
  }
  const forward = (chunk: Buffer) => {
    if (closed) return
    try {
      tunnel.send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    } catch (e) {
      // The tunnel socket is closing or failed (a throw here would escape the 'data' event and end the process).
      logger.debug({ err: errorText(e) }, 'port-forward tunnel socket gone')
      return close(1011, 'tunnel socket gone')
    }
    if (!upstream.isPaused()) holdWhileTunnelBacked(tunnel, upstream, () => !closed)
  }
  if (head.length) forward(head)
  upstream.on('data', forward)
  upstream.on('end', () => close(1000, ''))
  upstream.on('error', (e) => {
    logger.debug({ err: e.message }, 'port-forward upstream failed')
    close(1011, 'upstream failed')
  })
  tunnel.onmessage = (data) => {
    if (typeof data === 'string') return close(1003, 'SPDY over WebSocket carries binary messages only')
    if (!upstream.write(data) && tunnel.onmessage) {
      // Hold the tunnel's messages (and so its credit) until the apiserver has taken what we wrote.
      const onmessage = tunnel.onmessage
      tunnel.onmessage = undefined
      upstream.once('drain', () => (tunnel.onmessage = onmessage))
    }
  }
  tunnel.onclose = () => {
    closed = true
    upstream.end()
  }
}
