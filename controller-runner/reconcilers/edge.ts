// The runner's calls to the edge's own API, in one place: dropping a deleted cluster's agents and revoking
// tokens. They go through the transport the runtime gives (`ControllerContext.edge.api`, leader-guarded);
// a failure throws and the reconcile that called is retried.
import { KUBE_ORIGIN, type Transport } from '../../protocol/kube/index.ts'

/** An edge call that has not answered by then fails. */
const EDGE_TIMEOUT_MS = 30_000

export interface EdgeActions {
  /** Drops a deleted cluster's agents (`DELETE /v3/connect/<id>`); its registration is gone already. */
  disconnectCluster(clusterId: string): Promise<void>
  /** Revokes a deleted Token's value (`DELETE /v3/system/tokens/<name>`). */
  revokeToken(name: string): Promise<void>
  /** Revokes every token of a User that is gone or disabled (`DELETE /v3/system/users/<id>/tokens`). */
  revokeUserTokens(userId: string): Promise<void>
}

export function edgeActions(api: Transport): EdgeActions {
  const del = async (path: string, what: string): Promise<void> => {
    const res = await api(new Request(`${KUBE_ORIGIN}${path}`, { method: 'DELETE', signal: AbortSignal.timeout(EDGE_TIMEOUT_MS) }))
    await res.body?.cancel()
    if (!res.ok) throw new Error(`the edge answered ${res.status} to ${what}`)
  }
  const seg = encodeURIComponent
  return {
    disconnectCluster: (id) => del(`/v3/connect/${seg(id)}`, `disconnecting cluster ${id}`),
    revokeToken: (name) => del(`/v3/system/tokens/${seg(name)}`, `revoking token ${name}`),
    revokeUserTokens: (userId) => del(`/v3/system/users/${seg(userId)}/tokens`, `revoking the tokens of user ${userId}`),
  }
}
