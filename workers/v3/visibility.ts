import { SELF_SUBJECT_ACCESS_REVIEW, type KubeClient, type ResourceType } from '../../protocol/kube/index.ts'

const SELF_SUBJECT_RULES_REVIEW: ResourceType = { ...SELF_SUBJECT_ACCESS_REVIEW, plural: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview' }

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
export async function visibleNames(asUser: KubeClient, group: string, resource: string, namespace = 'default'): Promise<Visible> {
  const review = await asUser.create<{ apiVersion: string; kind: string; metadata: object; spec: unknown; status?: { resourceRules?: ResourceRule[] } }>(
    SELF_SUBJECT_RULES_REVIEW,
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
