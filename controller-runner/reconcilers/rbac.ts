// Shared pieces of RBAC materialisation: subjects of a binding, binding objects, the ClusterRole a
// RoleTemplate becomes downstream, and whether a cluster can be reached at all.
import type { Cluster, RoleTemplate } from '../../protocol/crds/index.ts'
import { TerminalError, type Cache } from '../runtime/types.ts'
import { apply } from './apply.ts'
import { CLUSTER_ROLE, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { labels, OWNER_LABELS } from './meta.ts'
import { resolveRules } from './rules.ts'

export interface Subject {
  kind: 'User' | 'Group'
  name: string
  apiGroup: 'rbac.authorization.k8s.io'
}

export interface RoleRef {
  apiGroup: 'rbac.authorization.k8s.io'
  kind: 'ClusterRole' | 'Role'
  name: string
}

export interface Binding extends KubeObject {
  roleRef: RoleRef
  subjects: Subject[]
}

interface BindingSource {
  userName?: string
  groupName?: string
  groupPrincipalName?: string
  metadata: { name?: string }
}

/** The binding's subject: its user, else its group principal (what the edge impersonates), else its group. */
export function subjectsOf(b: BindingSource): Subject[] {
  if (b.userName) return [{ kind: 'User', name: b.userName, apiGroup: 'rbac.authorization.k8s.io' }]
  const group = b.groupPrincipalName || b.groupName
  if (group) return [{ kind: 'Group', name: group, apiGroup: 'rbac.authorization.k8s.io' }]
  throw new TerminalError(`${b.metadata.name}: the binding names no user and no group`)
}

export function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', metadata: Binding['metadata'], role: { kind: 'ClusterRole' | 'Role'; name: string }, subjects: Subject[]): Binding {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role }, subjects }
}

/** A binding's roleRef is immutable: a changed one means delete and create. */
export const roleRefChanged = (cur: Binding, want: Binding) => cur.roleRef.kind !== want.roleRef.kind || cur.roleRef.name !== want.roleRef.name

export const isConnected = (c: Cluster | undefined): boolean => Boolean(c && !c.metadata.deletionTimestamp && c.status?.connected === true)

/**
 * Makes the ClusterRole a RoleTemplate becomes exist in a downstream cluster: named after the template,
 * with the inherited rules resolved. An `external` template refers to a ClusterRole that must already exist.
 * A ClusterRole of that name that the runner did not make for this template (`cluster-admin`,
 * `system:basic-user`, anything of the cluster's own) is never overwritten: terminal.
 */
export async function ensureTemplateRole(client: KubeClient, templates: Cache<RoleTemplate>, name: string): Promise<void> {
  const rt = templates.get(name)
  if (!rt) throw new TerminalError(`RoleTemplate ${name} does not exist`)
  if (rt.external) return
  const rules = resolveRules(templates, name)
  const current = await client.find<KubeObject>(CLUSTER_ROLE, name)
  if (current && current.metadata.labels?.[OWNER_LABELS.roleTemplate] !== name) {
    throw new TerminalError(`RoleTemplate ${name}: the cluster already has a ClusterRole ${name} that drover did not create; it is left alone (rename the template)`)
  }
  await apply(client, CLUSTER_ROLE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: labels('roleTemplate', name) }, rules } as KubeObject, current ? { current } : {})
}
