import { Hono } from 'hono'
import { TUNNEL_SUBPROTOCOL } from '../../protocol/tunnel/index.ts'
import { connectEnvelope } from '../../objects/tunnel/envelope.ts'
import { RUNNER_IDENTITY } from '../../protocol/api/identities.ts'
import { requireUser } from '../identity/middleware.ts'
import { ApiError } from '../errors.ts'
import { locationHint, type AppEnv } from '../env.ts'

/**
 * `GET /v3/connect`: an agent's tunnel upgrade. The credential is checked here, before any object wakes,
 * and the cluster comes from the credential — nothing the agent says about itself is trusted.
 */
export const connect = new Hono<AppEnv>()

connect.get('/', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new ApiError(426, 'expected a WebSocket upgrade', 'UpgradeRequired')
  const protocols = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
  if (!protocols.includes(TUNNEL_SUBPROTOCOL)) {
    throw new ApiError(400, `unsupported tunnel protocol: offer "${TUNNEL_SUBPROTOCOL}" (upgrade the agent)`, 'UnsupportedProtocol')
  }
  const token = c.req.header('x-api-tunnel-token')
  const agent = token ? await c.var.authenticator.agent(token) : null
  if (!agent) throw new ApiError(401, 'invalid or missing X-API-Tunnel-Token')
  const hint = locationHint(c.req.raw)
  const stub = c.env.TUNNEL.get(c.env.TUNNEL.idFromName(agent.clusterId), hint ? { locationHint: hint } : undefined)
  try {
    return await stub.fetch(connectEnvelope(agent.clusterId))
  } catch {
    // The object is being reset (a code update, abort): the agent dials again after Retry-After.
    const err = new ApiError(503, `cluster ${agent.clusterId}: its tunnel object is restarting; dial again`, 'ClusterUnavailable')
    err.retryAfterMs = 1_000
    throw err
  }
})

/**
 * `DELETE /v3/connect/<clusterId>`: the runner, finalising a deleted Cluster, drops its agents at once.
 * Their registration Secret is gone by then, so they cannot dial back in.
 */
connect.delete('/:id', requireUser, async (c) => {
  if (c.var.principal.identity.user !== RUNNER_IDENTITY.user) throw new ApiError(403, 'only the controller runner may disconnect a cluster')
  const id = c.req.param('id')
  const closed = await c.env.TUNNEL.get(c.env.TUNNEL.idFromName(id)).disconnect(`cluster ${id} was deleted`)
  return c.json({ clusterId: id, closed })
})
