// The worker → tunnel object hop, encoded and decoded in this file only. Its headers exist on that hop
// alone: every encoder drops any a client sent before adding its own, and objects are reachable only
// through the worker. Web-standard APIs only, so Node test support can decode an envelope too.
import { apiPathOf, type Transport } from '../../protocol/kube/index.ts'
import { parseIdentity, type Identity } from '../../protocol/tunnel/index.ts'

const HEADER = {
  action: 'x-drover-action',
  cluster: 'x-drover-cluster',
  identity: 'x-drover-identity',
} as const

const TUNNEL_ORIGIN = 'https://tunnel'

/** `connect`: an agent's WebSocket joins the tunnel. `proxy`: a request for the cluster's API. */
export type TunnelAction = 'connect' | 'proxy'

export function isEnvelopeHeader(name: string): boolean {
  return name.toLowerCase().startsWith('x-drover-')
}

/** Anything that answers envelopes: a ClusterTunnel stub, the object itself, or a stand-in for the agent in tests. */
export interface TunnelTarget {
  fetch(req: Request): Promise<Response>
}

export interface ProxyTarget {
  cluster: string
  identity: Identity
  /** `JSON.stringify(identity)` when the caller already has it (the edge encodes a credential's identity once). */
  identityJson?: string
  /** The API path and query; default: the request's (the proxy cuts its own prefix off). */
  path?: string
  /** Request headers not to forward, besides the envelope's own. */
  drop?: (name: string) => boolean
}

/** `req` for a cluster's API as an identity: method, headers, body and signal are kept. */
export function proxyEnvelope(req: Request, to: ProxyTarget): Request {
  const headers = new Headers()
  req.headers.forEach((value, name) => {
    if (!isEnvelopeHeader(name) && !to.drop?.(name)) headers.append(name, value)
  })
  headers.set(HEADER.action, 'proxy')
  headers.set(HEADER.cluster, to.cluster)
  headers.set(HEADER.identity, to.identityJson ?? JSON.stringify(to.identity))
  // `manual`: a redirect the cluster answers goes back to the client as it is. The runtime would otherwise
  // follow it through the same stub, sending the request again, as the same identity, to whatever path
  // the workload named (DESIGN.md: redirects from a downstream server are never followed).
  const init: RequestInit = { method: req.method, headers, signal: req.signal, redirect: 'manual' }
  if (req.body !== null) init.body = req.body
  return new Request(`${TUNNEL_ORIGIN}${to.path ?? apiPathOf(req)}`, init)
}

/** An agent's WebSocket upgrade for cluster `cluster` (the cluster comes from its credential). */
export function connectEnvelope(cluster: string): Request {
  return new Request(`${TUNNEL_ORIGIN}/connect`, { headers: { upgrade: 'websocket', [HEADER.action]: 'connect', [HEADER.cluster]: cluster } })
}

/** The one client's transport to a cluster through its tunnel, as one identity. */
export function tunnelTransport(target: TunnelTarget, cluster: string, identity: Identity): Transport {
  return async (req) => {
    try {
      return await target.fetch(proxyEnvelope(req, { cluster, identity }))
    } catch {
      // The tunnel object went away with the request in it (reset by a code update or abort, or broken):
      // to the caller that is a dropped tunnel, a 503 to retry, not an internal error.
      return Response.json(
        { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: `cluster ${cluster}: its tunnel object was reset or failed with the request in flight; retry` },
        { status: 503, headers: { 'retry-after': '1' } },
      )
    }
  }
}

export interface OpenedEnvelope {
  action: TunnelAction | undefined
  cluster: string | undefined
  /** The API path and query the request is for. */
  path: string
  /** Throws when the envelope carries no valid identity. */
  identity(): Identity
}

/** Identities by their JSON, per isolate: an object sees the same few callers request after request. */
const identities = new Map<string, Identity>()
const MAX_IDENTITIES = 1024

function identityOf(json: string | null): Identity {
  if (json === null) return parseIdentity(null)
  const known = identities.get(json)
  if (known) return known
  const identity = parseIdentity(JSON.parse(json))
  if (identities.size >= MAX_IDENTITIES) identities.delete(identities.keys().next().value!)
  identities.set(json, identity)
  return identity
}

/** What a tunnel object (or a test's stand-in for one) reads off an envelope. */
export function openEnvelope(req: Request): OpenedEnvelope {
  const action = req.headers.get(HEADER.action)
  // The Request has already serialized its URL: `https://tunnel/<path and query>` as proxyEnvelope made it
  // is cut as it stands; anything else (a test's request) is parsed.
  const url = req.url
  const path = url.startsWith(`${TUNNEL_ORIGIN}/`) && !url.includes('#') ? url.slice(TUNNEL_ORIGIN.length) : ((u) => `${u.pathname}${u.search}`)(new URL(url))
  return {
    action: action === 'connect' || action === 'proxy' ? action : undefined,
    cluster: req.headers.get(HEADER.cluster) ?? undefined,
    path,
    identity: () => identityOf(req.headers.get(HEADER.identity)),
  }
}
