// ClusterRoleTemplateBinding in namespace C → in the management cluster, `get` (owners: also update and
// delete) on Cluster C through ClusterRole `<C>-clustermember|clusterowner` and a RoleBinding in namespace
// C. The ClusterRoleBinding cannot be owned by the (namespaced) CRTB, hence the finalizer (the name earlier
// runners used, so existing bindings need no migration). Downstream, the RoleTemplate's ClusterRole and
// ClusterRoleBinding `crtb-<name>` are the downstream controller's, under cluster C's own key.
import type { Cluster, ClusterRoleTemplateBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import { CLUSTER_NAMESPACE_ROLES } from '../../infra/management/rbac.ts'
import { TerminalError, type Cache, type Reconciler, type Request, type Result } from '../runtime/types.ts'
import { apply } from './apply.ts'
import { apiVersionOf, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, ROLE_BINDING, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { addFinalizer, FINALIZERS, labels, labelValue, names, ownerRef, removeFinalizer } from './meta.ts'
import { refuse } from './ownership.ts'
import { binding, roleRefChanged, subjectsOf, type Binding } from './rbac.ts'
import { templateClosure } from './rules.ts'

const CRTB = mgmt('ClusterRoleTemplateBinding')

export interface CrtbDeps {
  bindings: Cache<ClusterRoleTemplateBinding>
  roleTemplates: Cache<RoleTemplate>
  clusters: Cache<Cluster>
  client: KubeClient
}

/** Owners manage the cluster and its bindings; everyone else reads. */
const isOwnerTemplate = (rt: RoleTemplate) => rt.metadata.name === 'cluster-owner' || rt.administrative === true

/** ClusterRoles `<C>-clustermember` (get) and `<C>-clusterowner` (also update, delete) on Cluster C, owned by it. */
export async function ensureClusterAccessRoles(client: KubeClient, cluster: Cluster): Promise<void> {
  const c = cluster.metadata.name!
  const clusterRule = (verbs: string[]) => [{ apiGroups: ['management.cattle.io'], resources: ['clusters'], resourceNames: [c], verbs }]
  const role = (name: string, verbs: string[]) =>
    ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: labels('cluster', c), ownerReferences: [ownerRef(cluster)] }, rules: clusterRule(verbs) }) as KubeObject
  await apply(client, CLUSTER_ROLE, role(names.clusterMemberRole(c), ['get']))
  await apply(client, CLUSTER_ROLE, role(names.clusterOwnerRole(c), ['get', 'update', 'patch', 'delete']))
}

export class CrtbReconciler implements Reconciler {
  constructor(private readonly deps: CrtbDeps) {}

  async reconcile({ name, namespace }: Request): Promise<Result> {
    const cached = this.deps.bindings.get(name, namespace)
    if (!cached) return {}
    // The scope is where the binding lives, never a field its writer chose (admission holds the two equal).
    const clusterId = cached.metadata.namespace!
    const cluster = this.deps.clusters.get(clusterId)
    if (cached.metadata.deletionTimestamp) return this.finalize(cached)
    if (cached.clusterName !== clusterId) {
      await refuse(this.deps.client, { ...cached, apiVersion: apiVersionOf(CRTB), kind: CRTB.kind }, 'ScopeMismatch', `clusterName ${JSON.stringify(cached.clusterName ?? '')} is not the namespace it lives in (${clusterId}); nothing is granted`)
    }
    const crtb = await addFinalizer(this.deps.client, CRTB, cached, FINALIZERS.downstream)
    const rtName = crtb.roleTemplateName ?? ''
    const rt = this.deps.roleTemplates.get(rtName)
    if (!rt) throw new TerminalError(`${namespace}/${name}: RoleTemplate ${rtName} does not exist`)
    if (rt.context === 'project') throw new TerminalError(`${namespace}/${name}: RoleTemplate ${rtName} is a project role`)
    templateClosure(this.deps.roleTemplates, rtName)
    const subjects = subjectsOf(crtb)
    if (cluster && !cluster.metadata.deletionTimestamp) await this.management(crtb, cluster, isOwnerTemplate(rt), subjects)
    return {}
  }

  private async management(crtb: ClusterRoleTemplateBinding, cluster: Cluster, owner: boolean, subjects: Binding['subjects']): Promise<void> {
    const { client } = this.deps
    const c = cluster.metadata.name!
    const ns = crtb.metadata.namespace!
    await ensureClusterAccessRoles(client, cluster)
    const own = labels('cluster', c, { 'drover.io/crtb': labelValue(`${ns}.${crtb.metadata.name}`) })
    await apply<Binding>(
      client,
      CLUSTER_ROLE_BINDING,
      binding('ClusterRoleBinding', { name: names.crtbManagementBinding(c, crtb.metadata.name!), labels: own }, { kind: 'ClusterRole', name: owner ? names.clusterOwnerRole(c) : names.clusterMemberRole(c) }, subjects),
      { recreate: roleRefChanged },
    )
    await apply<Binding>(
      client,
      ROLE_BINDING,
      binding('RoleBinding', { name: names.crtb(crtb.metadata.name!), namespace: ns, labels: own, ownerReferences: [ownerRef(crtb)] }, { kind: 'ClusterRole', name: owner ? CLUSTER_NAMESPACE_ROLES.owner : CLUSTER_NAMESPACE_ROLES.member }, subjects),
      { recreate: roleRefChanged },
    )
  }

  /** Removes what the binding granted in the management cluster (downstream, its cluster's controller prunes). */
  private async finalize(crtb: ClusterRoleTemplateBinding): Promise<Result> {
    if (!crtb.metadata.finalizers?.includes(FINALIZERS.downstream)) return {}
    const name = crtb.metadata.name!
    const c = crtb.metadata.namespace!
    await this.deps.client.delete(CLUSTER_ROLE_BINDING, names.crtbManagementBinding(c, name))
    await this.deps.client.delete(ROLE_BINDING, names.crtb(name), { namespace: crtb.metadata.namespace })
    await removeFinalizer(this.deps.client, CRTB, crtb, FINALIZERS.downstream)
    return {}
  }
}
