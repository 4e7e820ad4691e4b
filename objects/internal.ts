import type { Identity } from '../protocol/tunnel/index.ts'

/**
 * How the worker talks to a ClusterTunnel object. These headers exist only on the worker → object hop:
 * the worker removes any a client sent before adding its own, and objects are reachable only through it.
 */
export const INTERNAL = {
  action: 'x-drover-action',
  cluster: 'x-drover-cluster',
  identity: 'x-drover-identity',
} as const

export type InternalAction = 'connect' | 'proxy'

export function isInternalHeader(name: string): boolean {
  return name.toLowerCase().startsWith('x-drover-')
}

/**
 * A Kubernetes API request to a cluster's tunnel object, as `identity`: the one way the worker and
 * objects (e.g. a status push) build one.
 */
export function internalRequest(opts: { cluster: string; identity: Identity; method: string; path: string; body?: string; contentType?: string }): Request {
  const headers = new Headers({ accept: 'application/json' })
  headers.set(INTERNAL.action, 'proxy')
  headers.set(INTERNAL.cluster, opts.cluster)
  headers.set(INTERNAL.identity, JSON.stringify(opts.identity))
  if (opts.body !== undefined) headers.set('content-type', opts.contentType ?? 'application/json')
  return new Request(`https://tunnel${opts.path}`, { method: opts.method, headers, ...(opts.body === undefined ? {} : { body: opts.body }) })
}
