import { EDGE_IDENTITY, LOCAL_CLUSTER } from '../protocol/api/identities.ts'
import { API_VERSION } from '../protocol/crds/index.ts'
import { internalRequest } from './internal.ts'
import type { TunnelStatus } from './tunnel-hub.ts'

/**
 * What the tunnel object pushes into its Cluster's status the moment agents come and go (DESIGN.md,
 * flow 6): `connected` and the agent's facts. The runner derives the Connected/Ready conditions from
 * these. Facts stay as last reported while no agent is connected.
 */
export function statusPatch(status: TunnelStatus): { status: Record<string, unknown> } {
  const out: Record<string, unknown> = { connected: status.connected }
  const f = status.connected ? status.facts : undefined
  if (f?.kubernetesVersion) out.version = { gitVersion: f.kubernetesVersion }
  if (f?.nodeCount !== undefined) out.nodeCount = f.nodeCount
  if (f?.capacity) out.capacity = f.capacity
  if (f?.allocatable) out.allocatable = f.allocatable
  return { status: out }
}

/** The merge patch as a request to the management cluster through cluster `local`'s tunnel, as the edge. */
export function statusRequest(clusterId: string, patch: unknown): Request {
  return internalRequest({
    cluster: LOCAL_CLUSTER,
    identity: EDGE_IDENTITY,
    method: 'PATCH',
    path: `/apis/${API_VERSION}/clusters/${encodeURIComponent(clusterId)}/status`,
    body: JSON.stringify(patch),
    contentType: 'application/merge-patch+json',
  })
}

/** Retry delay after the n-th failed push (the management cluster may be unreachable for a while). */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5))
}
