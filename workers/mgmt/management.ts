// How the edge reaches Kubernetes: the one client (protocol/kube) over a transport per cluster and
// identity. Routes take it from `c.var.management`, set once per request by createApp, so tests can hand
// the app another transport (test/workerd) without a tunnel, an agent or a runner.
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { API_VERSION, type Kind } from '../../protocol/crds/index.ts'
import { KubeClient, type KubeObject as WireObject } from '../../protocol/kube/index.ts'
import type { Identity } from '../../protocol/tunnel/index.ts'
import { tunnelTransport, type TunnelTarget } from '../../objects/tunnel/envelope.ts'
import type { Bindings } from '../env.ts'

export interface Management {
  /** The management cluster's API as `identity`: its RBAC decides (DESIGN.md, flow 1). */
  as(identity: Identity): KubeClient
  /** Cluster `cluster`'s API as `identity` (checks that must run where a grant applies). */
  in(cluster: string, identity: Identity): KubeClient
}

/** Every cluster through the tunnel `targetOf(cluster)` answers for; the management cluster is `local`. */
export function tunnelManagement(targetOf: (cluster: string) => TunnelTarget): Management {
  const client = (cluster: string, identity: Identity) => new KubeClient(tunnelTransport(targetOf(cluster), cluster, identity))
  return {
    as: (identity) => client(LOCAL_CLUSTER, identity),
    in: client,
  }
}

/** Production: each cluster's ClusterTunnel object. */
export function tunnelObjects(env: Pick<Bindings, 'TUNNEL'>): Management {
  return tunnelManagement((cluster) => env.TUNNEL.get(env.TUNNEL.idFromName(cluster)))
}

/** An object as the edge reads it: any field may be there (Norman shows them; the CRD schema checks them). */
export type KubeObject = WireObject & Record<string, unknown>

/** A new `management.cattle.io/v3` object of `kind` (its apiVersion and kind, as a create needs them). */
export function mgmtObject<K extends Kind, T extends object>(kind: K, obj: T): T & { apiVersion: typeof API_VERSION; kind: K } {
  return { apiVersion: API_VERSION, kind, ...obj }
}
