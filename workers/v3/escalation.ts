// No one grants what they do not hold. Rather than an authorizer of our own, the edge asks the apiserver
// of the cluster where the grant would apply: it dry-runs creating a role with the granted rules as the
// caller, and Kubernetes' RBAC escalation check (you must hold every rule, or have `escalate`) decides.
import type { RoleTemplate, GlobalRole } from '../../protocol/crds/index.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, isForbidden, mgmt, ROLE, type KubeClient } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'

type Rules = NonNullable<RoleTemplate['rules']>
const MAX_DEPTH = 16

function refused(err: unknown, what: string): never {
  if (isForbidden(err)) {
    throw new ApiError(403, `you cannot grant ${what}: it holds permissions you do not have`, 'PermissionDenied')
  }
  throw err
}

/** Dry-runs a ClusterRole with these rules as the caller in `asUser`'s cluster. */
export async function assertHoldsClusterRules(asUser: KubeClient, rules: Rules, what: string): Promise<void> {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'drover-escalation-check' }, rules }
  await asUser.create(CLUSTER_ROLE, role, { dryRun: true }).catch((err: unknown) => refused(err, what))
}

/** Dry-runs a Role with these rules in each namespace, as the caller. */
export async function assertHoldsNamespaceRules(asUser: KubeClient, namespaces: string[], rules: Rules, what: string): Promise<void> {
  for (const ns of namespaces) {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'drover-escalation-check', namespace: ns }, rules }
    await asUser.create(ROLE, role, { dryRun: true }).catch((err: unknown) => refused(err, what))
  }
}

/** Dry-runs binding the caller's target to an existing ClusterRole (external role templates). */
export async function assertCanBind(asUser: KubeClient, clusterRole: string, what: string): Promise<void> {
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'drover-escalation-check' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'drover:escalation-check' }],
  }
  await asUser.create(CLUSTER_ROLE_BINDING, binding, { dryRun: true }).catch((err: unknown) => refused(err, what))
}

export interface FlatTemplate {
  rules: Rules
  external: string[]
  template: RoleTemplate & KubeObject
}

/** A role template's rules with `roleTemplateNames` inheritance resolved; a cycle or a missing template is a 422. */
export async function flattenRoleTemplate(edge: KubeClient, name: string): Promise<FlatTemplate> {
  const rules: Rules = []
  const external: string[] = []
  const seen = new Set<string>()
  let top: (RoleTemplate & KubeObject) | undefined
  const visit = async (n: string, depth: number) => {
    if (seen.has(n)) return
    if (depth > MAX_DEPTH) throw new ApiError(422, `role template ${name}: inheritance deeper than ${MAX_DEPTH}`, 'InvalidBodyContent')
    seen.add(n)
    const rt = await edge.find<RoleTemplate & KubeObject>(mgmt('RoleTemplate'), n)
    if (!rt) throw new ApiError(422, `role template "${n}" does not exist`, 'InvalidBodyContent')
    top ??= rt
    if (rt.external) external.push(n)
    rules.push(...(rt.rules ?? []))
    for (const child of rt.roleTemplateNames ?? []) await visit(child, depth + 1)
  }
  await visit(name, 0)
  return { rules, external, template: top! }
}

export async function globalRoleRules(edge: KubeClient, name: string): Promise<Rules> {
  const gr = await edge.find<GlobalRole>(mgmt('GlobalRole'), name)
  if (!gr) throw new ApiError(422, `global role "${name}" does not exist`, 'InvalidBodyContent')
  return gr.rules ?? []
}
