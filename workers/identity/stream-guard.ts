// Long responses re-check the credential that opened them: a watch, `logs -f`, or an exec/attach/
// port-forward WebSocket must not outlive the token's revocation. The check runs in the worker, which
// holds the authenticator and the isolate's revocation cache (a re-check is usually a cache hit). A
// response passed through unchanged leaves the worker no hand in it (its timers stop once it has
// returned), so the worker keeps one: a body is pulled through a stream of its own, a WebSocket is bridged
// by a pair of its own. Not in the tunnel object: it is the cluster's one hot, single-threaded point,
// `objects/` cannot import the edge's credential checks, and a timer there would not survive hibernation
// if client sockets ever move to the hibernation API.
import type { Clock } from '../../protocol/tunnel/clock.ts'
import { systemClock } from '../../protocol/tunnel/clock.ts'
import { credentialFrom, type Authenticator, type Principal } from './authenticator.ts'
import { REVOCATION_CACHE_MS } from './revocation.ts'

/** Policy violation: the credential that opened the stream is no longer valid. */
export const REVOKED_CLOSE_CODE = 1008
export const REVOKED_REASON = 'credential revoked'

export interface StreamGuardOptions {
  /** True while the credential is still valid. A throw counts as invalid: fail closed. */
  stillValid(): Promise<boolean>
  /** How often to re-check; the default is the revocation bound. */
  intervalMs?: number
  clock?: Clock
}

/**
 * Calls `stillValid` every `intervalMs` until stopped, and `onInvalid` once when it fails. Nothing runs
 * before the first interval has passed, so a stream that ends sooner costs one timer set and cleared.
 * Returns the stop function (idempotent).
 */
export function recheckEvery(opts: StreamGuardOptions, onInvalid: () => void): () => void {
  const clock = opts.clock ?? systemClock
  const interval = opts.intervalMs ?? REVOCATION_CACHE_MS
  let stopped = false
  let handle: unknown
  const tick = async () => {
    let ok = false
    try {
      ok = await opts.stillValid()
    } catch {
      ok = false
    }
    if (stopped) return
    if (!ok) {
      stopped = true
      onInvalid()
      return
    }
    handle = clock.setTimeout(() => void tick(), interval)
  }
  handle = clock.setTimeout(() => void tick(), interval)
  return () => {
    if (stopped) return
    stopped = true
    clock.clearTimeout(handle)
  }
}

/**
 * The response, ended when its credential stops being valid: a body ends (the client re-requests with a
 * credential that now fails); a WebSocket is bridged and both sides are closed with 1008.
 */
export function guardResponse(res: Response, opts: StreamGuardOptions): Response {
  if (res.webSocket) return guardWebSocket(res, res.webSocket, opts)
  if (!res.body || endsByItself(res)) return res
  return new Response(guardBody(res.body, opts), { status: res.status, statusText: res.statusText, headers: res.headers })
}

/** A body of known, small length ends on its own: only streams (watches, `logs -f`, chunked proxies) or large bodies need the guard. */
export const SMALL_BODY_BYTES = 1024 * 1024

function endsByItself(res: Response): boolean {
  const length = res.headers.get('content-length')
  return length !== null && /^\d{1,16}$/.test(length) && Number(length) <= SMALL_BODY_BYTES
}

/**
 * The body, pulled through a stream of our own: on revocation it ends cleanly (the client sees the
 * response end, as when the apiserver ends a watch) and the tunnel stream is cancelled, even while a read
 * is pending on an idle watch; any other failure reaches the client as one, so a cut body never looks
 * whole. The runtime encodes it as Content-Encoding says again (reading a subrequest's body decodes it).
 */
function guardBody(body: ReadableStream<Uint8Array>, opts: StreamGuardOptions): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let ended = false
  let stop = () => {}
  const finish = (how: () => void) => {
    if (ended) return
    ended = true
    stop()
    how()
  }
  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      stop = recheckEvery(opts, () => {
        finish(() => ctrl.close())
        reader.cancel(new Error(REVOKED_REASON)).catch(() => {})
      })
    },
    async pull(ctrl) {
      try {
        const { done, value } = await reader.read()
        if (ended) return
        if (done) finish(() => ctrl.close())
        else ctrl.enqueue(value)
      } catch (err) {
        finish(() => ctrl.error(err))
      }
    },
    cancel(reason) {
      ended = true
      stop()
      return reader.cancel(reason)
    },
  })
}

function guardWebSocket(res: Response, upstream: WebSocket, opts: StreamGuardOptions): Response {
  const pair = new WebSocketPair()
  const [client, server] = [pair[0], pair[1]]
  // Newer compatibility dates deliver binary messages as Blob unless asked otherwise.
  upstream.binaryType = 'arraybuffer'
  server.binaryType = 'arraybuffer'
  upstream.accept()
  server.accept()
  let stop = () => {}
  const closeBoth = (code: number, reason: string) => {
    stop()
    closeQuietly(server, code, reason)
    closeQuietly(upstream, code, reason)
  }
  relay(server, upstream, closeBoth)
  relay(upstream, server, closeBoth)
  stop = recheckEvery(opts, () => closeBoth(REVOKED_CLOSE_CODE, REVOKED_REASON))
  return new Response(null, { status: 101, webSocket: client, headers: res.headers })
}

/** Messages from `from` go to `to`; a close or error of `from` closes both. */
function relay(from: WebSocket, to: WebSocket, closeBoth: (code: number, reason: string) => void): void {
  from.addEventListener('message', (e) => {
    try {
      to.send(e.data as string | ArrayBuffer)
    } catch {
      closeBoth(1011, 'peer gone')
    }
  })
  from.addEventListener('close', (e) => closeBoth(e.code, e.reason))
  from.addEventListener('error', () => closeBoth(1011, 'socket error'))
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(sendable(code), reason.slice(0, 120))
  } catch {
    /* already closed */
  }
}

/** Codes that may appear in a close frame; 1005/1006/1015 (never sent) and unknown ones become 1000. */
function sendable(code: number): number {
  if (code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)) return code
  return 1000
}

/**
 * A proxied response to a request made with a drover token, ended when that token stops being valid
 * (re-authenticated with the same credential, so expiry, revocation of the token or of its user, and the
 * idle timeout all count). Other credentials (the runner's, development tokens) cannot be revoked: their
 * responses pass unchanged.
 */
export function guardProxied(res: Response, req: Request, principal: Principal, authenticator: Authenticator, opts: Omit<StreamGuardOptions, 'stillValid'> = {}): Response {
  const name = principal.token?.name
  const credential = credentialFrom(req)
  if (!name || !credential) return res
  return guardResponse(res, { ...opts, stillValid: async () => (await authenticator.user(credential))?.token?.name === name })
}
