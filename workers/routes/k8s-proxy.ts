import { Hono } from 'hono'
import { proxyEnvelope } from '../../objects/tunnel/envelope.ts'
import { guardProxied } from '../identity/stream-guard.ts'
import { ApiError } from '../errors.ts'
import { proxiedResponse } from '../response-headers.ts'
import type { AppEnv } from '../env.ts'
import { assertClusterAccess } from './cluster-access.ts'

/** Client headers that could claim an identity or carry a credential: never forwarded (DESIGN.md, flow 3). */
function isIdentityHeader(name: string): boolean {
  const n = name.toLowerCase()
  return n === 'authorization' || n === 'cookie' || n.startsWith('impersonate-') || n.startsWith('x-remote-')
}

/**
 * The tunnel object's answer. The object answers its own failures (no agent, a dropped session) itself;
 * a throw means the object went away with the request in it — reset by a code update or `abort()`, or
 * broken — which is the same to the client as a dropped tunnel: 503, try again (its agent dials back).
 */
async function tunnelFetch(stub: { fetch(req: Request): Promise<Response> }, envelope: Request, id: string): Promise<Response> {
  try {
    return await stub.fetch(envelope)
  } catch {
    const err = new ApiError(503, `cluster ${id}: its tunnel object was reset or failed with the request in flight; retry`, 'ClusterUnavailable')
    err.retryAfterMs = 1_000
    throw err
  }
}

/**
 * A redirect to a path on the cluster's apiserver (the apiserver rewrites a workload's relative `Location`
 * into its own …/proxy/… path) points back under `/k8s/clusters/<id>`, where the client can follow it, as
 * `kubectl proxy` does for its clients; absolute URLs and other statuses pass unchanged.
 */
export function clusterLocation(res: Response, id: string): Response {
  const location = res.headers.get('location')
  if (res.status < 300 || res.status > 399 || !location?.startsWith('/') || location.startsWith('//')) return res
  const headers = new Headers(res.headers)
  headers.set('location', `/k8s/clusters/${id}${location}`)
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
}

export const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** `/k8s/clusters/:id/*`: any method, streamed both ways, WebSocket upgrades included. */
export const k8sProxy = new Hono<AppEnv>().all('/:id/*', async (c) => {
  const id = c.req.param('id')
  if (!CLUSTER_ID.test(id)) throw new ApiError(404, `no cluster "${id}"`)
  const { clusters, identity, identityJson } = c.var.principal
  if (clusters !== '*' && !clusters.includes(id)) throw new ApiError(403, `this credential is not valid for cluster ${id}`)
  await assertClusterAccess(c.var.management, c.var.principal, id)

  const upgrade = c.req.header('upgrade')?.toLowerCase()
  if (upgrade && upgrade !== 'websocket') {
    throw new ApiError(
      400,
      `${c.req.header('upgrade')} upgrades cannot pass the edge, only WebSocket: use kubectl 1.31 or newer ` +
        'and leave KUBECTL_REMOTE_COMMAND_WEBSOCKETS and KUBECTL_PORT_FORWARD_WEBSOCKETS unset (exec, attach, cp and ' +
        'port-forward then use v5.channel.k8s.io and the WebSocket port-forward protocol)',
      'UpgradeNotSupported',
    )
  }

  const url = new URL(c.req.url)
  // From the raw path: `id` is decoded, so its length need not match what the URL spells.
  const path = '/' + url.pathname.split('/').slice(4).join('/')
  const envelope = proxyEnvelope(c.req.raw, { cluster: id, identity, identityJson, path: `${path}${url.search}`, drop: isIdentityHeader })
  const stub = c.env.TUNNEL.get(c.env.TUNNEL.idFromName(id))
  // Watches, logs -f and exec/attach/port-forward last: they end when the token is revoked.
  const res = guardProxied(clusterLocation(await tunnelFetch(stub, envelope, id), id), c.req.raw, c.var.principal, c.var.authenticator)
  // services/pods/nodes …/proxy serve workloads' pages on our origin: sandboxed, no cookies (response-headers.ts).
  return proxiedResponse(path, res)
})
