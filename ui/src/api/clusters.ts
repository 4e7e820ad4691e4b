// Clusters as `/v1/management.cattle.io.clusters` gives them, and what the pages show of them.
import type { SteveResource } from '../../../protocol/api/steve/format.ts'

interface Condition {
  type?: string
  status?: string
  reason?: string
  message?: string
}

export interface ClusterResource extends SteveResource {
  spec?: { displayName?: string; internal?: boolean }
  status?: {
    conditions?: Condition[]
    connected?: boolean
    provider?: string
    driver?: string
    version?: { gitVersion?: string }
    nodeCount?: number
    capacity?: Record<string, string>
  }
}

export const condition = (c: ClusterResource, type: string): Condition | undefined => c.status?.conditions?.find((x) => x.type === type)

/**
 * Rancher's cluster state, as the edge's `/v3` computes it: removing while deleted, active when Ready,
 * pending until an agent first reports the cluster (no version yet), else unavailable.
 */
export function clusterState(c: ClusterResource): 'removing' | 'active' | 'pending' | 'unavailable' {
  if (c.metadata?.deletionTimestamp) return 'removing'
  if (condition(c, 'Ready')?.status === 'True') return 'active'
  return c.status?.version ? 'unavailable' : 'pending'
}

export const clusterName = (c: ClusterResource): string => c.spec?.displayName || String(c.metadata?.name ?? c.id)

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 }
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, m: 1e-3 }

/** A Kubernetes quantity as a number of base units (bytes, cores); undefined when it is not one. */
export function quantity(q: string | undefined): number | undefined {
  const m = q === undefined ? null : /^([0-9.]+)([A-Za-z]*)$/.exec(q)
  if (!m) return undefined
  const unit = m[2]!
  const factor = unit === '' ? 1 : (BINARY[unit] ?? DECIMAL[unit])
  return factor === undefined ? undefined : Number(m[1]) * factor
}

export function formatBytes(q: string | undefined): string {
  const n = quantity(q)
  if (n === undefined) return q ?? '—'
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`
}
