import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { finished } from 'node:stream'
import type { Logger } from 'pino'
import WebSocket from 'ws'
import type { ResponseHead, TunnelSocket } from '../protocol/tunnel/index.ts'
import { responseBody } from './body.ts'
import { closeArgs } from './close-codes.ts'
import { joinPath, type UpstreamTarget } from '../node/kube/credentials.ts'
import { responseHeaders, websocketSubprotocols } from './headers.ts'
import { errorText } from '../node/log.ts'
import { RefusedError } from './status.ts'

export interface WebSocketDial {
  target: UpstreamTarget
  /** Origin-form path (with query) on the apiserver, already checked. */
  path: string
  headers: OutgoingHttpHeaders
  protocols: string[]
  socket: TunnelSocket
  signal: AbortSignal
  connectTimeoutMs: number
  logger: Logger
}

export interface WebSocketAnswer {
  head: ResponseHead
  body?: ReadableStream<Uint8Array> | null
}

/**
 * Upstream messages stop being read while the tunnel socket holds more than this (bytes waiting for
 * tunnel credit). Well under the socket's send buffer limit (window + 2 frames), past which it fails.
 */
const TUNNEL_HIGH_WATER = 256 * 1024
const TUNNEL_LOW_WATER = 64 * 1024
/** The same for the other direction, against the upstream socket's own buffer. */
const UPSTREAM_HIGH_WATER = 1024 * 1024
const UPSTREAM_LOW_WATER = 256 * 1024
const BACKPRESSURE_POLL_MS = 10
/** The apiserver answers an exec/attach/port-forward upgrade only after its own checks; allow for that. */
const MIN_HANDSHAKE_MS = 30_000

/**
 * Opens the upgrade to the apiserver with the agent's TLS credentials and the impersonation headers,
 * offering only allowlisted subprotocols. A 101 is answered with the chosen protocol and the two sockets
 * are bridged; any other answer (403, 404, a 3xx — redirects are never followed) is returned with its
 * body, and the stream ends there.
 */
export function dialWebSocket(o: WebSocketDial): Promise<WebSocketAnswer> {
  const protocols = websocketSubprotocols(o.protocols)
  if (!protocols.length) throw new RefusedError(400, 'BadRequest', 'the upgrade requests no allowed WebSocket subprotocol')
  if (o.signal.aborted) throw o.signal.reason
  const { url } = o.target
  const address = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}${joinPath(url, o.path)}`
  const headers = o.target.authorization ? { ...o.headers, authorization: o.target.authorization } : o.headers
  const ws = new WebSocket(address, protocols, {
    ...(url.protocol === 'https:' ? o.target.tls : {}),
    // ws hands these to http.request unchanged, so arrays (Impersonate-Group) stay separate header lines.
    headers: headers as Record<string, string>,
    followRedirects: false,
    perMessageDeflate: false,
    handshakeTimeout: Math.max(o.connectTimeoutMs, MIN_HANDSHAKE_MS),
  })

  return new Promise<WebSocketAnswer>((resolve, reject) => {
    let settled = false
    const onAbort = () => ws.terminate()
    o.signal.addEventListener('abort', onAbort, { once: true })
    let upgradeHeaders: [string, string][] = []

    ws.on('upgrade', (res: IncomingMessage) => {
      upgradeHeaders = responseHeaders(res.rawHeaders, { drop: (name) => name.startsWith('sec-websocket-') })
    })
    ws.on('unexpected-response', (req, res) => {
      settled = true
      o.signal.removeEventListener('abort', onAbort)
      // Release the connection once the error body has been read (or the stream was cancelled).
      finished(res, () => req.destroy())
      resolve({ head: { status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders) }, body: responseBody(res) })
    })
    ws.on('error', (err) => {
      if (settled) return o.logger.debug({ err: err.message }, 'upstream websocket error')
      settled = true
      o.signal.removeEventListener('abort', onAbort)
      reject(o.signal.aborted ? (o.signal.reason ?? err) : err)
    })
    ws.on('open', () => {
      settled = true
      // The tunnel socket queues what is sent before the session has put the 101 on the wire.
      bridge(ws, o.socket, o.logger)
      resolve({ head: { status: 101, headers: upgradeHeaders, protocol: ws.protocol } })
    })
    ws.on('close', () => o.signal.removeEventListener('abort', onAbort))
  })
}

/**
 * Pauses `source` while `tunnel` holds more than TUNNEL_HIGH_WATER bytes waiting for credit, and resumes
 * it once they are down to TUNNEL_LOW_WATER (polled: a TunnelSocket has no drain event). `live` turning
 * false stops the polling.
 */
export function holdWhileTunnelBacked(tunnel: TunnelSocket, source: { pause(): unknown; resume(): unknown }, live: () => boolean): void {
  if (tunnel.bufferedAmount <= TUNNEL_HIGH_WATER) return
  source.pause()
  const check = () => {
    if (!live()) return
    if (tunnel.bufferedAmount > TUNNEL_LOW_WATER) setTimeout(check, BACKPRESSURE_POLL_MS)
    else source.resume()
  }
  setTimeout(check, BACKPRESSURE_POLL_MS)
}

/**
 * Messages both ways (binary stays binary, text stays text), close codes carried, and each direction
 * paused while the receiving side is backed up.
 */
function bridge(ws: WebSocket, socket: TunnelSocket, logger: Logger): void {
  let tunnelClosed = false
  const closeTunnel = (code: number | undefined, reason: string) => {
    if (tunnelClosed) return
    tunnelClosed = true
    socket.close(...closeArgs(code, reason))
  }

  ws.on('message', (data, isBinary) => {
    if (tunnelClosed) return
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    try {
      socket.send(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString('utf8'))
    } catch (e) {
      // Too large for the tunnel, or the stream failed: neither side can go on.
      logger.warn({ err: errorText(e) }, 'cannot pass an upstream WebSocket message into the tunnel')
      closeTunnel(1009, 'message too big for the tunnel')
      ws.close(1009, 'message too big for the tunnel')
      return
    }
    if (!ws.isPaused) holdWhileTunnelBacked(socket, ws, () => ws.readyState === WebSocket.OPEN && !tunnelClosed)
  })
  ws.on('close', (code, reason) => closeTunnel(code, reason.toString('utf8')))

  const onmessage = (data: string | Uint8Array) => {
    if (ws.readyState !== WebSocket.OPEN) return
    ws.send(data, { binary: typeof data !== 'string' })
    if (ws.bufferedAmount <= UPSTREAM_HIGH_WATER || socket.onmessage !== onmessage) return
    // The apiserver takes less than the client sends: stop taking messages. Undelivered ones hold back
    // the peer's tunnel credit, so the client is throttled instead of the agent buffering without bound.
    socket.onmessage = undefined
    const check = () => {
      if (ws.readyState !== WebSocket.OPEN) return
      if (ws.bufferedAmount > UPSTREAM_LOW_WATER) setTimeout(check, BACKPRESSURE_POLL_MS)
      else socket.onmessage = onmessage
    }
    setTimeout(check, BACKPRESSURE_POLL_MS)
  }
  socket.onmessage = onmessage
  socket.onclose = (code, reason) => {
    tunnelClosed = true
    if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return
    ws.close(...closeArgs(code, reason))
  }
}
