// The runtime's ControllerContext → the narrower ReconcilerContext the reconcilers take: REST clients
// whose writes go through the leader write guard, and the edge as the way to downstream clusters.
import type { ControllerContext } from '../runtime/types.ts'
import type { ReconcilerContext } from './index.ts'
import { KubeClient, kubeConfigTarget } from './kube/client.ts'
import { edgeDownstream, type DownstreamFactory } from './kube/edge.ts'

export function fromControllerContext(ctx: ControllerContext, extra: Pick<ReconcilerContext, 'resyncMs' | 'onClusterDeleted' | 'onTokenDeleted' | 'revokeUserTokens'> = {}): ReconcilerContext {
  const guard = <R>(fn: (signal: AbortSignal) => Promise<R>) => ctx.writes.guard(fn)
  const downstream: DownstreamFactory = ctx.edge
    ? edgeDownstream(ctx.edge, { guard })
    : () => {
        throw new Error('no --edge-url: downstream clusters are unreachable')
      }
  return {
    cache: (kind) => ctx.cache(kind) as never,
    management: new KubeClient(kubeConfigTarget(ctx.kubeConfig), { guard }),
    downstream,
    serverUrl: ctx.serverUrl ?? '',
    clock: ctx.clock,
    logger: ctx.logger,
    ...extra,
  }
}
