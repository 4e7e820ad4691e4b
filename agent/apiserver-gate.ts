// What the tunnel upstream does with the apiserver's readiness (apiserver-health.ts): a request that arrives
// while the apiserver is known not to be ready is answered at once with a 503 Status naming what /readyz
// said, and a read still waiting for its response head when the apiserver turns unready is given up the
// same way. Without this, kubectl through the edge would hang until the apiserver's own request timeout.
import type { ApiServerFacts } from '../protocol/tunnel/index.ts'
import { statusResponse, type UpstreamResponse } from './status.ts'

export interface HealthView {
  readonly state: ApiServerFacts | undefined
  readonly unready: boolean
  suspect(): void
  /** Calls `fn` on every change of state until the returned function is called. */
  subscribe(fn: () => void): () => void
}

/** Served from the apiserver's memory, and what tells a caller why it is not ready: always passed through. */
const HEALTH_PATH = /^\/(readyz|livez|healthz|version)(\/|\?|$)/

/** Reads only: a write given up on might still be applied once the apiserver recovers. */
const GIVE_UP_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * No Retry-After: client-go retries a 503 that carries one, up to ten times, which would make kubectl
 * wait most of a minute before showing the error this answer exists to show at once.
 */
export function notReadyResponse(state: ApiServerFacts | undefined): UpstreamResponse {
  const why = state?.message ? ` (${state.message})` : ''
  return statusResponse(503, 'ServiceUnavailable', `the cluster's kube-apiserver is not ready${why}; try again later`)
}

/** Whether a request should be answered at once as not ready rather than sent. */
export function refuseNow(health: HealthView | undefined, path: string): boolean {
  return health?.unready === true && !HEALTH_PATH.test(path)
}

/**
 * For a read: a signal that also aborts when the apiserver turns unready before `release` (called once
 * the response head is in; a watch that has started is left alone). `gaveUp` says which abort it was.
 */
export function unreadyGate(health: HealthView | undefined, method: string, path: string, signal: AbortSignal): { signal: AbortSignal; gaveUp(): boolean; release(): void } {
  if (!health || !GIVE_UP_METHODS.has(method.toUpperCase()) || HEALTH_PATH.test(path)) return { signal, gaveUp: () => false, release: () => {} }
  const own = new AbortController()
  const unsubscribe = health.subscribe(() => {
    if (health.unready) own.abort(new Error(`the kube-apiserver is not ready${health.state?.message ? ` (${health.state.message})` : ''}`))
  })
  return { signal: AbortSignal.any([signal, own.signal]), gaveUp: () => own.signal.aborted && !signal.aborted, release: unsubscribe }
}
