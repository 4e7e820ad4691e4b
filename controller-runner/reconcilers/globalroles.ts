// GlobalRole → ClusterRole `cattle-globalrole-<G>`; GlobalRoleBinding → ClusterRoleBinding
// `cattle-globalrolebinding-<B>` (both owned by their source, so GC removes them; deleted explicitly too,
// for management clusters without a garbage collector), and for roles with inheritedClusterRoles a
// ClusterRoleBinding in every connected downstream cluster, removed behind a finalizer. The two carry
// different owner labels: cluster `local` is both the management cluster and a downstream one, and a
// downstream prune must never take the management binding with it.
import type { Cluster, GlobalRole, GlobalRoleBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import type { Cache, Reconciler, Request, Result } from '../runtime/types.ts'
import { apply, prune } from './apply.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { forEachLimited } from './limit.ts'
import { addFinalizer, FINALIZERS, labels, names, ownerRef, removeFinalizer, selector } from './meta.ts'
import { binding, ensureTemplateRole, isConnected, roleRefChanged, subjectsOf, type Binding } from './rbac.ts'
import { normalizeRule } from './rules.ts'
import type { DownstreamFactory } from './index.ts'

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
  globalRoles: Cache<GlobalRole>
  roleTemplates: Cache<RoleTemplate>
  clusters: Cache<Cluster>
  client: KubeClient
  downstream: DownstreamFactory
  /** How often downstream bindings are re-applied (drift repair; the runner has no downstream informers). */
  resyncMs: number
}

export class GlobalRoleBindingReconciler implements Reconciler {
  constructor(private readonly deps: GlobalRoleBindingDeps) {}

  async reconcile({ name }: Request): Promise<Result> {
    const { client } = this.deps
    const cached = this.deps.bindings.get(name)
    if (!cached) {
      await client.delete(CLUSTER_ROLE_BINDING, names.globalRoleBinding(name))
      return {}
    }
    if (cached.metadata.deletionTimestamp) return this.finalize(cached)
    const grb = await addFinalizer(client, GRB, cached, FINALIZERS.downstream)
    const g = grb.globalRoleName ?? ''
    const subjects = subjectsOf(grb)
    await apply(
      client,
      CLUSTER_ROLE_BINDING,
      binding('ClusterRoleBinding', { name: names.globalRoleBinding(name), labels: labels('globalRoleBinding', name), ownerReferences: [ownerRef(grb)] }, { kind: 'ClusterRole', name: names.globalRoleClusterRole(g) }, subjects),
      { recreate: roleRefChanged },
    )
    const roles = this.deps.globalRoles.get(g)?.inheritedClusterRoles ?? []
    await this.eachConnected(async (down) => {
      const keep = new Set<string>()
      for (const rt of roles) {
        await ensureTemplateRole(down, this.deps.roleTemplates, rt)
        const n = names.globalAdminBinding(name, roles, rt)
        keep.add(n)
        await apply<Binding>(down, CLUSTER_ROLE_BINDING, binding('ClusterRoleBinding', { name: n, labels: labels('globalRoleBindingDownstream', name) }, { kind: 'ClusterRole', name: rt }, subjects), { recreate: roleRefChanged })
      }
      await prune(down, CLUSTER_ROLE_BINDING, selector('globalRoleBindingDownstream', name), keep)
    })
    return roles.length ? { requeueAfter: this.deps.resyncMs } : {}
  }

  private async finalize(grb: GlobalRoleBinding): Promise<Result> {
    if (!grb.metadata.finalizers?.includes(FINALIZERS.downstream)) return {}
    await this.eachConnected((down) => prune(down, CLUSTER_ROLE_BINDING, selector('globalRoleBindingDownstream', grb.metadata.name!), new Set()).then(() => {}))
    await removeFinalizer(this.deps.client, GRB, grb, FINALIZERS.downstream)
    return {}
  }

  /** Every connected cluster, a few at a time; one unreachable cluster does not hold up the others. */
  private eachConnected(fn: (down: KubeClient) => Promise<void>): Promise<void> {
    const clusters = this.deps.clusters.list().filter(isConnected)
    return forEachLimited(clusters, 8, (c) => fn(this.deps.downstream(c.metadata.name!)))
  }
}
