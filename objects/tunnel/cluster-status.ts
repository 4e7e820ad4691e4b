import { EDGE_IDENTITY, LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { isNotFound, KubeClient, mgmt } from '../../protocol/kube/index.ts'
import { tunnelTransport, type TunnelTarget } from './envelope.ts'
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

/**
 * Merge-patches the Cluster's status subresource in the management cluster through `local` (cluster
 * `local`'s tunnel), as the edge. True when done — or when there is no Cluster of that id (yet), so
 * nothing to keep up to date; false when it should be tried again later.
 */
export async function pushStatus(local: TunnelTarget, clusterId: string, patch: unknown): Promise<boolean> {
  const kube = new KubeClient(tunnelTransport(local, LOCAL_CLUSTER, EDGE_IDENTITY))
  try {
    await kube.patch(mgmt('Cluster'), clusterId, patch, { subresource: 'status' })
    return true
  } catch (e) {
    // Anything else (no agent for `local`, the apiserver failing) is retried with the backoff below.
    return isNotFound(e)
  }
}

/** Retry delay after the n-th failed push (the management cluster may be unreachable for a while). */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5))
}
