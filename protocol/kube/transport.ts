// How the client reaches an apiserver: a fetch-shaped function. The client addresses requests to
// KUBE_ORIGIN; a transport keeps the path and query and sends them wherever it sends them (a kubeconfig's
// server, a cluster's tunnel, the edge's /k8s/clusters/<id>), adding credentials of its own.

export type Transport = (req: Request) => Promise<Response>

/** The placeholder origin of every request the client builds. */
export const KUBE_ORIGIN = 'https://kubernetes.invalid'

/** The API path and query of a client request (`/api/v1/namespaces?limit=500`). */
export function apiPathOf(req: Request): string {
  const u = new URL(req.url)
  return `${u.pathname}${u.search}`
}

/** Prefixes every path (an edge at `https://edge/k8s/clusters/c-1`), keeping method, headers, body and signal. */
export function joinBase(base: URL, apiPath: string): URL {
  return new URL(`${base.pathname.replace(/\/+$/, '')}${apiPath}`, base)
}

export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Leadership as a write needs it: see guardedTransport. */
export interface Leadership {
  /** True while this replica leads and its last successful renewal was sent less than renewDeadline ago. */
  fresh(): boolean
  /** Aborted the moment the current leadership term ends (already aborted when not leading). */
  signal(): AbortSignal
}

/**
 * `new Request(req, init)` that keeps `req` alive as long as the new one is. A Request's signal follows the
 * signal it was made with only while that Request object is reachable (undici holds the link weakly): a
 * transport that wraps a request and lets the original be collected would lose the caller's aborts and
 * timeouts. Transports that wrap requests use this.
 */
export function wrapRequest(req: Request, init: RequestInit): Request {
  const wrapped = new Request(req, init)
  origins.set(wrapped, req)
  return wrapped
}

const origins = new WeakMap<Request, Request>()

/** Thrown instead of sending a write when this replica is not (or no longer surely) the leader. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError'
}

/** Thrown when an update (PUT) is about to go out without the resourceVersion it was based on. */
export class UnconditionalUpdateError extends Error {
  override name = 'UnconditionalUpdateError'
}

/**
 * Stale-write protection for a leader-elected writer. Two layers:
 *
 * 1. Freshness is the last check before the request is handed to the inner transport: this replica must
 *    lead *and* its last successful renewal must have been sent less than renewDeadline ago. Another
 *    replica can take the Lease only leaseDuration after it last saw it renewed, and leaseDuration >
 *    renewDeadline, so while this holds nobody else can lead. It reads the clock at sending time, not a
 *    flag a timer sets: a process paused mid-reconcile (SIGSTOP, a long GC) sees the time that passed.
 * 2. Optimistic concurrency for what slips between that check and the bytes reaching the apiserver:
 *    every PUT must carry the resourceVersion it was computed from (enforced here), so a write based on
 *    a read from before the new leader's write gets 409 Conflict instead of overwriting it.
 *
 * Every request, reads included, also gets the term's AbortSignal (in-flight work stops when the term
 * ends) and a timeout, so nothing hangs on an unresponsive apiserver.
 */
export function guardedTransport(inner: Transport, leadership: Leadership, opts: { timeoutMs?: number } = {}): Transport {
  const timeoutMs = opts.timeoutMs ?? 30_000
  return async (req) => {
    const method = req.method.toUpperCase()
    const term = leadership.signal()
    const signals = [AbortSignal.timeout(timeoutMs), req.signal]
    if (MUTATING_METHODS.has(method)) {
      if (method === 'PUT') await requireResourceVersion(req)
      signals.push(term)
      const guarded = wrapRequest(req, { signal: AbortSignal.any(signals) })
      if (!leadership.fresh()) {
        throw new NotLeaderError(`not the leader (or leadership not renewed in time): refusing ${method} ${new URL(req.url).pathname}`)
      }
      return inner(guarded)
    }
    // Reads outlive a term only when there is none (a follower's informers read too).
    if (!term.aborted) signals.push(term)
    return inner(wrapRequest(req, { signal: AbortSignal.any(signals) }))
  }
}

async function requireResourceVersion(req: Request): Promise<void> {
  let rv: unknown
  try {
    rv = (JSON.parse(await req.clone().text()) as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion
  } catch {
    rv = undefined
  }
  if (typeof rv !== 'string' || rv === '') {
    throw new UnconditionalUpdateError(`PUT ${new URL(req.url).pathname} without metadata.resourceVersion: updates must be based on a read`)
  }
}
