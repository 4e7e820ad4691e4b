// A caller's effective RBAC rules in a cluster, as the apiserver resolves them (SelfSubjectRulesReview):
// the ClusterRoleBindings' rules, and each candidate namespace's (bindings.ts). Used for what is a UI hint
// in Steve too — which schemas a caller sees and with which methods, which namespaces they hold a grant in
// — never to let data through: lists, objects and writes go to the apiserver as the caller, and list
// scopes come from access reviews (access.ts). Kept per (cluster, identity) for the revocation bound.
import { REVOCATION_CACHE_MS } from '../identity/revocation.ts'
import type { ResourceType } from '../../protocol/kube/index.ts'
import { candidateNamespaces } from './bindings.ts'
import { REVIEW_CONCURRENCY } from './access.ts'
import { isRecord, stringsOf } from './kube-json.ts'
import { once, type ClusterScope } from './scope.ts'
import { mapLimited, TtlCache } from './ttl-cache.ts'

export interface ResourceRule {
  verbs: string[]
  apiGroups: string[]
  resources: string[]
  resourceNames: string[]
}

export interface Rules {
  /** What ClusterRoleBindings grant: every namespace and cluster-scoped types. */
  cluster: ResourceRule[]
  /** Per candidate namespace, the rules that hold there (the cluster's included, as the review returns them). */
  namespaces: Map<string, ResourceRule[]>
}

const SELF_SUBJECT_RULES_REVIEW: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'selfsubjectrulesreviews',
  kind: 'SelfSubjectRulesReview',
  namespaced: false,
}

/**
 * The review requires a namespace; one no namespace can be named (a DNS label holds no ':') selects the
 * ClusterRoleBindings' rules alone, since no RoleBinding lives there.
 */
export const CLUSTER_RULES_NAMESPACE = 'drover:cluster-rules'

const cache = new TtlCache<Rules>(REVOCATION_CACHE_MS, 5_000)

export function rulesFor(scope: ClusterScope): Promise<Rules> {
  const key = `${scope.cluster}\u0000${scope.identityKey}`
  return once(scope, 'rules', () => cache.through(key, () => resolve(scope)))
}

async function resolve(scope: ClusterScope): Promise<Rules> {
  const cluster = await rulesReview(scope, CLUSTER_RULES_NAMESPACE)
  const namespaces = new Map<string, ResourceRule[]>()
  // Everything everywhere already (cluster-admin): no namespace can add to it.
  if (cluster.some((r) => r.apiGroups.includes('*') && r.resources.includes('*') && r.verbs.includes('*') && r.resourceNames.length === 0)) {
    return { cluster, namespaces }
  }
  const candidates = await candidateNamespaces(scope)
  const reviews = await mapLimited(candidates, REVIEW_CONCURRENCY, (ns) => rulesReview(scope, ns))
  candidates.forEach((ns, i) => namespaces.set(ns, reviews[i] as ResourceRule[]))
  return { cluster, namespaces }
}

async function rulesReview(scope: ClusterScope, namespace: string): Promise<ResourceRule[]> {
  const answer = await scope.user.create<{ apiVersion: string; kind: string; metadata: object; spec: unknown; status?: unknown }>(SELF_SUBJECT_RULES_REVIEW, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec: { namespace },
  })
  const status = isRecord(answer.status) ? answer.status : {}
  const rules = Array.isArray(status.resourceRules) ? status.resourceRules : []
  return rules.filter(isRecord).map((r) => ({
    verbs: stringsOf(r.verbs),
    apiGroups: stringsOf(r.apiGroups),
    resources: stringsOf(r.resources),
    resourceNames: stringsOf(r.resourceNames),
  }))
}

/** Verbs the rules grant on a type (named-object grants count: Steve shows those types too). */
export function grantedVerbs(rules: readonly ResourceRule[], type: Pick<ResourceType, 'group' | 'plural'>): Set<string> {
  const verbs = new Set<string>()
  for (const rule of rules) {
    if (!matches(rule.apiGroups, type.group) || !matches(rule.resources, type.plural)) continue
    for (const verb of rule.verbs) verbs.add(verb)
  }
  return verbs
}

/**
 * Verbs the caller holds on a type anywhere: cluster-wide, or in some namespace for a namespaced type
 * (Steve does not count a namespace's grant on a cluster-scoped type). `*` stands for every verb.
 */
export function verbsAnywhere(rules: Rules, type: Pick<ResourceType, 'group' | 'plural' | 'namespaced'>): Set<string> {
  const verbs = grantedVerbs(rules.cluster, type)
  if (type.namespaced) for (const nsRules of rules.namespaces.values()) for (const verb of grantedVerbs(nsRules, type)) verbs.add(verb)
  return verbs
}

export function hasVerb(verbs: ReadonlySet<string>, verb: string): boolean {
  return verbs.has('*') || verbs.has(verb)
}

/** Namespaces where the caller holds some grant of their own (Steve lists those namespaces to them). */
export function namespacesWithGrants(rules: Rules): string[] {
  const clusterKeys = new Set(rules.cluster.map(ruleKey))
  return [...rules.namespaces].filter(([, nsRules]) => nsRules.some((r) => !clusterKeys.has(ruleKey(r)))).map(([ns]) => ns)
}

function ruleKey(rule: ResourceRule): string {
  return JSON.stringify([rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames])
}

function matches(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value)
}
