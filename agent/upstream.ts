import type { OutgoingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { Logger } from 'pino'
import type { Dispatcher, Pool } from 'undici'
import { TunnelError, type RequestHead, type StreamHandler, type TunnelSocket } from '../protocol/tunnel/index.ts'
import { errorText } from '../node/log.ts'
import { joinPath, type UpstreamCredentials, type UpstreamTarget } from '../node/kube/credentials.ts'
import { flatHeaders, responseHeaders, upstreamHeaders } from './headers.ts'
import { notReadyResponse, refuseNow, unreadyGate, type HealthView } from './apiserver-gate.ts'
import { RefusedError, statusResponse, type UpstreamResponse } from './status.ts'
import { dialSpdyTunnel, SPDY_OVER_WEBSOCKET } from './upstream-spdy.ts'
import { dialWebSocket } from './upstream-ws.ts'
import { UpstreamPools } from './upstream-pool.ts'
import { dispatchRequest, type UpstreamReply } from './upstream-request.ts'

export interface UpstreamOptions {
  credentials: UpstreamCredentials
  logger: Logger
  /** Limit on establishing the TCP/TLS connection; a response may take as long as it likes (watches). */
  connectTimeoutMs?: number
  /** The apiserver's readiness: told of failed requests, and consulted before sending (apiserver-gate.ts). */
  health?: HealthView
}

/**
 * Serves tunnel streams against the agent's own kube-apiserver and nothing else: the target comes from
 * the credentials, the head contributes only a path. Requests run as the head's identity through
 * impersonation; redirects are returned, never followed.
 */
export function createUpstreamHandler(opts: UpstreamOptions): StreamHandler {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
  const pools = new UpstreamPools(connectTimeoutMs)
  return {
    async http(head, body, signal) {
      const { health } = opts
      let gate: ReturnType<typeof unreadyGate> | undefined
      try {
        const path = checkPath(head)
        if (refuseNow(health, path)) return notReadyResponse(health?.state)
        gate = unreadyGate(health, head.method, path, signal)
        const headers = upstreamHeaders(head, { upgrade: false })
        const target = await opts.credentials.current()
        const pool = pools.for(target)
        const attempt = () => send(pool, target, head.method, path, headers, body, gate!.signal)
        const res = await attempt().catch((e: unknown) => {
          // The apiserver closed an idle keep-alive connection just as it was reused; nothing was processed.
          const again = e instanceof UpstreamFailure && e.closedUnder && body === null && RETRYABLE_METHODS.has(head.method.toUpperCase())
          if (again && !gate!.signal.aborted) return attempt()
          throw e
        })
        gate.release()
        if (res.status === 401) opts.credentials.invalidate()
        // 503 and 504 are what an apiserver without etcd answers once its own timeout runs out.
        if (res.status === 503 || res.status === 504) health?.suspect()
        return { head: { status: res.status, headers: responseHeaders(flatHeaders(res.headers)) }, body: res.body }
      } catch (e) {
        gate?.release()
        if (gate?.gaveUp()) return notReadyResponse(health?.state)
        if (!(e instanceof RefusedError)) health?.suspect()
        return failure(e, head, signal, opts.logger)
      }
    },

    async websocket(head: RequestHead, socket: TunnelSocket, signal: AbortSignal) {
      try {
        const path = checkPath(head)
        if (refuseNow(opts.health, path)) return notReadyResponse(opts.health?.state)
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

/** Methods a request without a body may be sent again with, when a pooled connection was found closed. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE'])

async function send(
  pool: Pool,
  target: UpstreamTarget,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Promise<UpstreamReply> {
  // As name/value pairs: a repeated header (Impersonate-Group) must go out as one line per value, never joined.
  const all = flatHeaders(headers)
  if (target.authorization) all.push('authorization', target.authorization)
  try {
    // A body of unknown length goes out chunked whatever the method (undici frames it; node:http would not for DELETE).
    const upload = body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : null
    return await dispatchRequest(pool, { method: method as Dispatcher.HttpMethod, path: joinPath(target.url, path), headers: all, body: upload }, signal)
  } catch (e) {
    throw new UpstreamFailure(e as Error)
  }
}

/** Codes of failures before any connection to the apiserver stood (TCP or TLS). */
const NOT_REACHED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|ERR_TLS_.*|ERR_SSL_.*|UNABLE_TO_.*|CERT_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/

/** A request that failed before its response; `reached` once a connection to the apiserver stood. */
class UpstreamFailure extends Error {
  readonly code: unknown
  readonly reached: boolean
  /** The connection closed under the request: a pooled keep-alive socket the apiserver had just dropped. */
  readonly closedUnder: boolean
  constructor(cause: Error) {
    super(cause.message, { cause })
    this.code = (cause as { code?: unknown }).code
    this.reached = !(typeof this.code === 'string' && NOT_REACHED.test(this.code))
    this.closedUnder = this.code === 'UND_ERR_SOCKET' || this.code === 'ECONNRESET'
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
