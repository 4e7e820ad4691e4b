import type { Kube } from '../mgmt/kube.ts'

interface ResourceRule {
  verbs: string[]
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
}

/** Which objects of a management kind the caller may `get`: all of them, or these names. */
export type Visible = '*' | Set<string>

/**
 * Kubernetes cannot filter a list by what the caller may see, so the apiserver is asked for the caller's
 * rules (a SelfSubjectRulesReview, evaluated by its RBAC) and the edge lists as itself and keeps only
 * those. This is how a standard user sees exactly the clusters they are bound to.
 */
export async function visibleNames(asUser: Kube, group: string, resource: string, namespace = 'default'): Promise<Visible> {
  const review = await asUser.create<{ metadata: object; status?: { resourceRules?: ResourceRule[] } }>(
    '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace } },
  )
  const names = new Set<string>()
  for (const rule of review.status?.resourceRules ?? []) {
    const groupOk = (rule.apiGroups ?? []).some((g) => g === '*' || g === group)
    const resourceOk = (rule.resources ?? []).some((r) => r === '*' || r === resource)
    const verbOk = rule.verbs.some((v) => v === '*' || v === 'get' || v === 'list')
    if (!groupOk || !resourceOk || !verbOk) continue
    if (!rule.resourceNames?.length) return '*'
    if (rule.verbs.some((v) => v === '*' || v === 'get')) for (const n of rule.resourceNames) names.add(n)
  }
  return names
}
