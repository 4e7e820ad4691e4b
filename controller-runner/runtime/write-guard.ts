// The one place the runner's clients are made leader-guarded: the management cluster, downstream clusters
// through the edge, and the edge's own API all send through protocol/kube's guardedTransport, so the
// freshness check is the last step before a request leaves (see there for the two layers of stale-write
// protection). The Lease is not written through here: it is how leadership is won.
import { guardedTransport, KubeClient, type ClientOptions, type Leadership, type Transport } from '../../protocol/kube/index.ts'
import type { EdgeClients } from './types.ts'

export interface GuardTargets {
  /** The management apiserver (kubeConfigTransport). */
  management: Transport
  /** edgeTransports(edge): per cluster, and the edge itself. */
  edge?: { cluster(id: string): Transport; edge: Transport }
}

export interface GuardOptions extends ClientOptions {
  /** Per request, reads included (default 30 s). */
  timeoutMs?: number
}

export interface GuardedClients {
  client: KubeClient
  edge?: EdgeClients
}

export function guardedClients(leadership: Leadership, targets: GuardTargets, opts: GuardOptions = {}): GuardedClients {
  const { timeoutMs, ...clientOpts } = opts
  const guard = (t: Transport) => guardedTransport(t, leadership, timeoutMs === undefined ? {} : { timeoutMs })
  const edge = targets.edge
  return {
    client: new KubeClient(guard(targets.management), clientOpts),
    ...(edge ? { edge: { cluster: (id: string) => new KubeClient(guard(edge.cluster(id)), clientOpts), api: guard(edge.edge) } } : {}),
  }
}
