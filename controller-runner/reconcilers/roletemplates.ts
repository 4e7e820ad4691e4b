// RoleTemplate → the ClusterRole of the same name it becomes downstream (written by the binding
// reconcilers, which know where it is needed). This one removes those ClusterRoles when the template is
// deleted, behind a finalizer: from every connected cluster, and only ClusterRoles it labelled as its own.
// A cluster that is offline at that moment keeps an unbound ClusterRole; nothing refers to it any more.
import type { Cluster, RoleTemplate } from '../../protocol/crds/index.ts'
import type { Cache, Reconciler, Request, Result } from '../runtime/types.ts'
import { CLUSTER_ROLE, mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { DownstreamFactory } from './index.ts'
import { forEachLimited } from './limit.ts'
import { addFinalizer, FINALIZERS, removeFinalizer } from './meta.ts'
import { ownedBy } from './ownership.ts'
import { isConnected } from './rbac.ts'

const RT = mgmt('RoleTemplate')

export interface RoleTemplateDeps {
  roleTemplates: Cache<RoleTemplate>
  clusters: Cache<Cluster>
  client: KubeClient
  downstream: DownstreamFactory
}

export class RoleTemplateReconciler implements Reconciler {
  constructor(private readonly deps: RoleTemplateDeps) {}

  async reconcile({ name }: Request): Promise<Result> {
    const rt = this.deps.roleTemplates.get(name)
    if (!rt) return {}
    if (!rt.metadata.deletionTimestamp) {
      if (!rt.external) await addFinalizer(this.deps.client, RT, rt, FINALIZERS.downstream)
      return {}
    }
    if (!rt.metadata.finalizers?.includes(FINALIZERS.downstream)) return {}
    const clusters = this.deps.clusters.list().filter(isConnected)
    await forEachLimited(clusters, 8, async (c) => {
      const down = this.deps.downstream(c.metadata.name!)
      const role = await down.find<KubeObject>(CLUSTER_ROLE, name)
      if (role && ownedBy(role, 'roleTemplate', name)) await down.delete(CLUSTER_ROLE, name, { preconditions: { uid: role.metadata.uid! } })
    })
    await removeFinalizer(this.deps.client, RT, rt, FINALIZERS.downstream)
    return {}
  }
}
