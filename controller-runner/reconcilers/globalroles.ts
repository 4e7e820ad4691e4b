// GlobalRole → ClusterRole `cattle-globalrole-<G>`; GlobalRoleBinding → ClusterRoleBinding
// `cattle-globalrolebinding-<B>` (both owned by their source, so GC removes them; deleted explicitly too,
// for management clusters without a garbage collector). The management cluster only: what a binding
// grants in downstream clusters is the downstream controller's (downstream.ts), per cluster, so an
// unreachable cluster never holds up a user's management RBAC.
import type { GlobalRole, GlobalRoleBinding } from '../../protocol/crds/index.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { Cache, Reconciler, Request, Result } from '../runtime/types.ts'
import { apply } from './apply.ts'
import { FINALIZERS, labels, names, ownerRef, removeFinalizer } from './meta.ts'
import { binding, roleRefChanged, subjectsOf } from './rbac.ts'
import { normalizeRule } from './rules.ts'

const GRB = mgmt('GlobalRoleBinding')

export class GlobalRoleReconciler implements Reconciler {
  constructor(private readonly deps: { globalRoles: Cache<GlobalRole>; client: KubeClient }) {}

  async reconcile({ name }: Request): Promise<Result> {
    const gr = this.deps.globalRoles.get(name)
    if (!gr) {
      await this.deps.client.delete(CLUSTER_ROLE, names.globalRoleClusterRole(name))
      return {}
    }
    if (gr.metadata.deletionTimestamp) return {}
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: names.globalRoleClusterRole(name), labels: labels('globalRole', name), ownerReferences: [ownerRef(gr)] },
      rules: (gr.rules ?? []).map(normalizeRule),
    }
    await apply(this.deps.client, CLUSTER_ROLE, role as KubeObject)
    return {}
  }
}

export interface GlobalRoleBindingDeps {
  bindings: Cache<GlobalRoleBinding>
  client: KubeClient
}

export class GlobalRoleBindingReconciler implements Reconciler {
  constructor(private readonly deps: GlobalRoleBindingDeps) {}

  async reconcile({ name }: Request): Promise<Result> {
    const { client } = this.deps
    const grb = this.deps.bindings.get(name)
    if (!grb) {
      await client.delete(CLUSTER_ROLE_BINDING, names.globalRoleBinding(name))
      return {}
    }
    // Earlier runners held deletion for downstream cleanup; the downstream controller now prunes without it.
    if (grb.metadata.deletionTimestamp) {
      await removeFinalizer(client, GRB, grb, FINALIZERS.downstream)
      return {}
    }
    const role = names.globalRoleClusterRole(grb.globalRoleName ?? '')
    const crb = binding('ClusterRoleBinding', { name: names.globalRoleBinding(name), labels: labels('globalRoleBinding', name), ownerReferences: [ownerRef(grb)] }, { kind: 'ClusterRole', name: role }, subjectsOf(grb))
    await apply(client, CLUSTER_ROLE_BINDING, crb, { recreate: roleRefChanged })
    return {}
  }
}
