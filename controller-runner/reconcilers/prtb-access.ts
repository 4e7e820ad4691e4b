// What a ProjectRoleTemplateBinding grants in the management cluster, as Rancher's project membership
// does: `get` on its Project (a Role and RoleBinding in the cluster's namespace, where the Project lives)
// and `get` on its Cluster (the cluster's `<C>-clustermember` ClusterRole), so a project member finds
// both through /v3 and /v1. All three are named for the binding: `prtb-<P>-<name>`. The binding lives in
// the project's namespace and cannot own objects in another namespace, so the Role and RoleBinding are
// owned by the Project (gone with it) and the binding's finalizer removes all three when it goes.
// They carry `drover.io/cluster` besides `drover.io/prtb`: cluster `local`'s downstream prune (the
// management cluster is downstream too) leaves them alone, and the Cluster's cleanup takes them.
import { API_VERSION, type Cluster, type Project, type ProjectRoleTemplateBinding } from '../../protocol/crds/index.ts'
import { CLUSTER_ROLE_BINDING, ROLE, ROLE_BINDING, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { apply } from './apply.ts'
import { ensureClusterAccessRoles } from './crtb.ts'
import { labels, labelValue, names, OWNER_LABELS, ownerRef } from './meta.ts'
import { binding, roleRefChanged, type Binding } from './rbac.ts'

/** `prtb-<P>-<name>`: unique, since project names are unique across clusters (each is a namespace). */
export const prtbAccessName = (prtb: ProjectRoleTemplateBinding) => `prtb-${prtb.metadata.namespace}-${prtb.metadata.name}`

export async function grantProjectAccess(client: KubeClient, prtb: ProjectRoleTemplateBinding, project: Project, cluster: Cluster, subjects: Binding['subjects']): Promise<void> {
  const c = cluster.metadata.name!
  const name = prtbAccessName(prtb)
  const own = labels('cluster', c, { [OWNER_LABELS.prtb]: labelValue(`${prtb.metadata.namespace}.${prtb.metadata.name}`) })
  const meta = { name, namespace: c, labels: own, ownerReferences: [ownerRef({ ...project, apiVersion: API_VERSION, kind: 'Project' })] }
  const rules = [{ apiGroups: ['management.cattle.io'], resources: ['projects'], resourceNames: [project.metadata.name!], verbs: ['get'] }]
  await apply(client, ROLE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules } as KubeObject)
  await apply<Binding>(client, ROLE_BINDING, binding('RoleBinding', meta, { kind: 'Role', name }, subjects), { recreate: roleRefChanged })
  await ensureClusterAccessRoles(client, cluster)
  await apply<Binding>(client, CLUSTER_ROLE_BINDING, binding('ClusterRoleBinding', { name, labels: own }, { kind: 'ClusterRole', name: names.clusterMemberRole(c) }, subjects), { recreate: roleRefChanged })
}

/** Removes the grant (each delete tolerates an object already gone). */
export async function revokeProjectAccess(client: KubeClient, prtb: ProjectRoleTemplateBinding): Promise<void> {
  const name = prtbAccessName(prtb)
  const ns = /^([^:]+):/.exec(prtb.projectName ?? '')?.[1]
  await client.delete(CLUSTER_ROLE_BINDING, name)
  if (!ns) return
  await client.delete(ROLE_BINDING, name, { namespace: ns })
  await client.delete(ROLE, name, { namespace: ns })
}
