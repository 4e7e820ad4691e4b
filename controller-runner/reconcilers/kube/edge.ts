// Downstream clusters through the edge: `<edgeUrl>/k8s/clusters/<id>/<API path>` with the runner's bearer
// token (identity `system:drover:runner` at the edge). One keep-alive agent serves every cluster.
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { EdgeConfig } from '../../runtime/types.ts'
import { KubeClient, type ClientOptions, type Target } from './client.ts'

/** An edge call that has not answered by then fails, and the reconcile that made it is retried. */
const EDGE_TIMEOUT_MS = 30_000

/** `--edge-url` / `--edge-token` / `--edge-ca`, as the runtime's ControllerContext carries them. */
export type EdgeAccess = EdgeConfig

export type DownstreamFactory = (clusterId: string) => KubeClient

export function edgeDownstream(edge: EdgeAccess, opts: ClientOptions & { maxSockets?: number } = {}): DownstreamFactory {
  const origin = new URL(edge.url)
  const tls = edge.ca ? { ca: edge.ca } : {}
  const agent = origin.protocol === 'https:' ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets: opts.maxSockets ?? 32 }) : new HttpAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 32 })
  const headers = { Authorization: `Bearer ${edge.token}` }
  const clients = new Map<string, KubeClient>()
  return (clusterId) => {
    let c = clients.get(clusterId)
    if (!c) {
      const base = new URL(`${origin.pathname.replace(/\/+$/, '')}/k8s/clusters/${encodeURIComponent(clusterId)}`, origin)
      const target: Target = { base, headers, agent, tls }
      c = new KubeClient(() => Promise.resolve(target), opts)
      clients.set(clusterId, c)
    }
    return c
  }
}

/** Drops a deleted cluster's agents at the edge (`DELETE /v3/connect/<id>`); its registration is gone already. */
export function edgeDisconnect(edge: EdgeAccess): (clusterId: string) => Promise<void> {
  return (clusterId) => edgeDelete(edge, `/v3/connect/${encodeURIComponent(clusterId)}`, `disconnecting cluster ${clusterId}`)
}

/** Revokes a deleted Token's value at the edge (`DELETE /v3/system/tokens/<name>`). */
export function edgeRevokeToken(edge: EdgeAccess): (name: string) => Promise<void> {
  return (name) => edgeDelete(edge, `/v3/system/tokens/${encodeURIComponent(name)}`, `revoking token ${name}`)
}

/** Revokes every token of a User that is gone or disabled (`DELETE /v3/system/users/<id>/tokens`). */
export function edgeRevokeUserTokens(edge: EdgeAccess): (userId: string) => Promise<void> {
  return (userId) => edgeDelete(edge, `/v3/system/users/${encodeURIComponent(userId)}/tokens`, `revoking the tokens of user ${userId}`)
}

function edgeDelete(edge: EdgeAccess, path: string, what: string): Promise<void> {
  // Joined, not resolved: an edge behind a path prefix keeps it, as edgeDownstream does.
  const base = new URL(edge.url)
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'DELETE', headers: { authorization: `Bearer ${edge.token}` }, timeout: EDGE_TIMEOUT_MS, ...(edge.ca ? { ca: edge.ca } : {}) }, (res) => {
      res.resume()
      // 2xx: done; anything else is retried by the reconcile that called us.
      if (res.statusCode && res.statusCode < 300) resolve()
      else reject(new Error(`the edge answered ${res.statusCode} to ${what}`))
    })
    req.on('timeout', () => req.destroy(new Error(`${what}: the edge did not answer within ${EDGE_TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end()
  })
}
