import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { TunnelError, type RequestHead, type StreamHandler, type TunnelSocket } from '../protocol/tunnel/index.ts'
import { pumpRequestBody, responseBody } from './body.ts'
import { errorText } from '../node/log.ts'
import { joinPath, type UpstreamCredentials, type UpstreamTarget } from '../node/kube/credentials.ts'
import { responseHeaders, upstreamHeaders } from './headers.ts'
import { RefusedError, statusResponse, type UpstreamResponse } from './status.ts'
import { dialSpdyTunnel, SPDY_OVER_WEBSOCKET } from './upstream-spdy.ts'
import { dialWebSocket } from './upstream-ws.ts'

export interface UpstreamOptions {
  credentials: UpstreamCredentials
  logger: Logger
  /** Limit on establishing the TCP/TLS connection; a response may take as long as it likes (watches). */
  connectTimeoutMs?: number
}

/**
 * Serves tunnel streams against the agent's own kube-apiserver and nothing else: the target comes from
 * the credentials, the head contributes only a path. Requests run as the head's identity through
 * impersonation; redirects are returned, never followed.
 */
export function createUpstreamHandler(opts: UpstreamOptions): StreamHandler {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
  return {
    async http(head, body, signal) {
      try {
        const path = checkPath(head)
        const headers = upstreamHeaders(head, { upgrade: false })
        const target = await opts.credentials.current()
        const attempt = () => send(target, head.method, path, headers, body, signal, connectTimeoutMs)
        const res = await attempt().catch((e: unknown) => {
          // The apiserver closed an idle keep-alive connection just as it was reused; nothing was processed.
          if (e instanceof UpstreamFailure && e.staleSocket && body === null && !signal.aborted) return attempt()
          throw e
        })
        if (res.statusCode === 401) opts.credentials.invalidate()
        return { head: { status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders) }, body: responseBody(res) }
      } catch (e) {
        return failure(e, head, signal, opts.logger)
      }
    },

    async websocket(head: RequestHead, socket: TunnelSocket, signal: AbortSignal) {
      try {
        const path = checkPath(head)
        if (head.method.toUpperCase() !== 'GET') throw new RefusedError(400, 'BadRequest', 'WebSocket upgrades must use GET')
        const headers = upstreamHeaders(head, { upgrade: true })
        const target = await opts.credentials.current()
        const protocols = head.upgrade?.protocols ?? []
        if (protocols.includes(SPDY_OVER_WEBSOCKET)) return await dialSpdyTunnel({ target, path, headers, socket, signal, logger: opts.logger })
        return await dialWebSocket({ target, path, headers, protocols, socket, signal, connectTimeoutMs, logger: opts.logger })
      } catch (e) {
        return failure(e, head, signal, opts.logger)
      }
    },
  }
}

/** Only origin-form paths: the head can never name another host. Methods must be HTTP tokens. */
function checkPath(head: RequestHead): string {
  if (typeof head.method !== 'string' || !/^[A-Za-z]{1,20}$/.test(head.method)) throw new RefusedError(400, 'BadRequest', 'invalid request method')
  if (typeof head.path !== 'string' || !head.path.startsWith('/') || head.path.startsWith('//') || /[\s\0]/.test(head.path)) {
    throw new RefusedError(400, 'BadRequest', 'request path must be an absolute path on the apiserver')
  }
  return head.path
}

function send(
  target: UpstreamTarget,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
  connectTimeoutMs: number,
): Promise<IncomingMessage> {
  const { url } = target
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  const all: OutgoingHttpHeaders = target.authorization ? { ...headers, authorization: target.authorization } : { ...headers }
  // Node frames a body of unknown length as chunked only for some methods: a DELETE (or OPTIONS) body
  // would go out unframed and the apiserver would read its bytes as the next request on the connection.
  if (body && all['content-length'] === undefined) all['transfer-encoding'] = 'chunked'
  return new Promise((resolve, reject) => {
    let reached = false
    const req: ClientRequest = request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      method,
      path: joinPath(url, path),
      headers: all,
      // The agent carries the TLS options; repeating them here would make Node stringify the CA and
      // certificate into the pool key on every request.
      agent: target.agent,
      signal,
    })
    req.on('error', (e) => reject(new UpstreamFailure(e, reached, req.reusedSocket)))
    req.on('socket', (socket: Socket) =>
      guardConnect(req, socket, url.protocol === 'https:', connectTimeoutMs, () => {
        reached = true
      }),
    )
    req.on('response', resolve)
    if (body) void pumpRequestBody(body, req)
    else req.end()
  })
}

function guardConnect(req: ClientRequest, socket: Socket, tls: boolean, ms: number, connected: () => void): void {
  // A reused keep-alive socket is already connected; a new one gets `ms` for TCP and, for TLS, the handshake.
  if (!socket.connecting) return connected()
  const timer = setTimeout(() => req.destroy(new ConnectTimeoutError(ms)), ms)
  const clear = () => clearTimeout(timer)
  socket.once(tls ? 'secureConnect' : 'connect', () => {
    clear()
    connected()
  })
  socket.once('close', clear)
}

class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`connecting to the kube-apiserver took longer than ${ms} ms`)
  }
}

/** A request that failed before its response; `reached` once a connection to the apiserver stood. */
class UpstreamFailure extends Error {
  readonly code: unknown
  readonly staleSocket: boolean
  constructor(
    cause: Error,
    readonly reached: boolean,
    reusedSocket: boolean,
  ) {
    super(cause.message, { cause })
    this.code = (cause as { code?: unknown }).code
    this.staleSocket = reusedSocket && this.code === 'ECONNRESET'
  }
}

/** Errors of a WebSocket dial that mean no connection to the apiserver was made. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'])

/**
 * Our own refusals answer with a Kubernetes Status; failures to talk to the apiserver become tunnel
 * errors (UPSTREAM_UNREACHABLE when nothing reached it, so the edge may retry; UPSTREAM_ERROR otherwise).
 */
function failure(e: unknown, head: RequestHead, signal: AbortSignal, logger: Logger): UpstreamResponse {
  if (signal.aborted) throw signal.reason ?? e
  const where = { method: head.method, path: redactPath(head.path) }
  if (e instanceof RefusedError) {
    logger.warn({ ...where, status: e.status, reason: e.message }, 'refused tunnel request')
    return statusResponse(e.status, e.reason, e.message)
  }
  const code = (e as { code?: unknown })?.code
  const unreachable = e instanceof UpstreamFailure ? !e.reached : typeof code === 'string' && CONNECT_ERRORS.has(code)
  const message = unreachable
    ? `the agent could not connect to the kube-apiserver${typeof code === 'string' ? ` (${code})` : ''}`
    : `the kube-apiserver request failed: ${errorText(e)}`
  logger.warn({ ...where, err: errorText(e) }, message)
  throw new TunnelError(unreachable ? 'UPSTREAM_UNREACHABLE' : 'UPSTREAM_ERROR', message, { cause: e })
}

/** Request paths carry no credentials in Kubernetes, but query strings can be long; keep logs tidy. */
function redactPath(path: string): string {
  const q = path.indexOf('?')
  return q < 0 ? path.slice(0, 512) : path.slice(0, Math.min(q, 512))
}
