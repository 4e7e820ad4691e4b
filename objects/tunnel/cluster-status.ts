import { EDGE_IDENTITY, LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { isNotFound, KubeClient, mgmt } from '../../protocol/kube/index.ts'
import type { ApiServerFacts } from '../../protocol/tunnel/index.ts'
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
  // A merge patch replaces the list whole; null removes it, so an agent that stopped reporting readiness
  // (an older one took over) leaves no stale verdict behind.
  if (f) out.componentStatuses = f.apiServer ? [apiServerComponent(f.apiServer)] : null
  return { status: out }
}

export const API_SERVER_COMPONENT = 'kube-apiserver'

/**
 * The apiserver's readiness in the shape Rancher gives a cluster's control-plane health: an entry of
 * `status.componentStatuses` (Rancher's ClusterComponentStatus, which its health syncer fills from the
 * downstream's componentstatuses) with a `Healthy` condition. Rancher clients already read that list, and
 * it leaves room for more components without another field of our own.
 */
export function apiServerComponent(a: ApiServerFacts): { name: string; conditions: { type: string; status: string; message?: string }[] } {
  return { name: API_SERVER_COMPONENT, conditions: [{ type: 'Healthy', status: a.ready ? 'True' : 'False', ...(a.message ? { message: a.message } : {}) }] }
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

/**
 * The bound within which a Cluster's `connected` follows its agents (README: "Connected follows it within
 * 5 s"; test/e2e-quickstart.test.ts holds a live edge to it, test/tunnel-status-restart.test.ts an edge
 * restarted under a dead agent).
 */
export const STATUS_BOUND_MS = 5_000

/**
 * While its Cluster is pushed as connected, the tunnel object wakes this often as a backstop: it closes
 * agent sockets that have shown no sign of life (no keepalive answered, no message) for the ping timeout,
 * and checks that an agent socket is really there. It is long so that idle objects hibernate and are
 * evicted between checks (a 4 s period kept every object of a 10,000-cluster edge resident, with its
 * storage files open). What it backs up: the socket's close event, which reaches a live object at once, and
 * the sweep from `local`'s object when `local`'s agent comes back after the runtime restarted
 * (`WAKE_GRACE_MS`), which covers agents that died while the edge was down. Operators can change it with
 * the `TUNNEL_WATCHDOG_SECONDS` variable.
 */
export const WATCHDOG_MS = 120_000

/**
 * A new instance (after a restart) that finds its Cluster pushed as connected and no agent socket looks
 * again this much later: agents that lost the edge with it are usually dialling back already, and the
 * status should not flap for them. Within STATUS_BOUND_MS of being woken either way.
 */
export const WAKE_GRACE_MS = 2_500

/** The watchdog period from the optional `TUNNEL_WATCHDOG_SECONDS` variable (10 s to 1 h), else WATCHDOG_MS. */
export function watchdogMs(seconds: string | undefined): number {
  const n = Number(seconds)
  return seconds && Number.isFinite(n) && n >= 10 && n <= 3600 ? n * 1000 : WATCHDOG_MS
}

/** Whether a pushed (or pending) status patch says connected. */
export function saysConnected(patch: string | undefined): boolean {
  return patch !== undefined && (JSON.parse(patch) as { status?: { connected?: boolean } }).status?.connected === true
}

/** Retry delay after the n-th failed push (the management cluster may be unreachable for a while). */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5))
}
