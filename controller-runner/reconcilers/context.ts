// The runtime's ControllerContext → the narrower ReconcilerContext the reconcilers take: its guarded
// management client, downstream clusters and the edge's own API through the edge.
import type { ControllerContext } from '../runtime/types.ts'
import { edgeActions } from './edge.ts'
import type { ReconcilerContext } from './index.ts'

export function fromControllerContext(ctx: ControllerContext, extra: Pick<ReconcilerContext, 'resyncMs'> = {}): ReconcilerContext {
  const edge = ctx.edge
  const actions = edge ? edgeActions(edge.api) : undefined
  return {
    cache: (type) => ctx.cache(type) as never,
    management: ctx.client,
    downstream: edge
      ? (id) => edge.cluster(id)
      : () => {
          throw new Error('no --edge-url: downstream clusters are unreachable')
        },
    serverUrl: ctx.serverUrl ?? '',
    clock: ctx.clock,
    logger: ctx.logger,
    ...(actions ? { onClusterDeleted: actions.disconnectCluster, onTokenDeleted: actions.revokeToken, revokeUserTokens: actions.revokeUserTokens } : {}),
    ...extra,
  }
}
