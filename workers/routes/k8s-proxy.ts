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
  const res = guardProxied(await stub.fetch(envelope), c.req.raw, c.var.principal, c.var.authenticator)
  // services/pods/nodes …/proxy serve workloads' pages on our origin: sandboxed, no cookies (response-headers.ts).
  return proxiedResponse(path, res)
})
