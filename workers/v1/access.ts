// Where a caller may use a verb on a type: every namespace, or a set of them. The apiserver decides each
// grant: a SelfSubjectAccessReview as the caller for the verb cluster-wide, and when that is refused, one
// in each namespace where a RoleBinding names the caller (bindings.ts) — the edge only narrows where to
// ask. Answers are kept per (cluster, identity, type, verb) for the revocation bound, so a revoked grant
// stops showing within REVOCATION_CACHE_MS, as a revoked token does.
import { SteveError } from '../../protocol/api/steve/index.ts'
import { isNamespaceType, SELF_SUBJECT_ACCESS_REVIEW, type SelfSubjectAccessReview } from '../../protocol/kube/index.ts'
import { REVOCATION_CACHE_MS } from '../identity/revocation.ts'
import { candidateNamespaces, MAX_CANDIDATE_NAMESPACES } from './bindings.ts'
import type { SteveType } from './discovery.ts'
import { rulesFor, type ResourceRule } from './rules.ts'
import { once, type ClusterScope } from './scope.ts'
import { mapLimited, TtlCache } from './ttl-cache.ts'

export const ACCESS_CACHE_MS = REVOCATION_CACHE_MS
/** Access reviews in flight at once for one request. */
export const REVIEW_CONCURRENCY = 4

/**
 * `'all'`: cluster-wide. Otherwise, for a namespaced type, the namespaces (sorted), empty when none; for a
 * cluster-scoped type (namespaces themselves aside), the names of the objects the caller may get one by
 * one (`resourceNames` grants, as a cluster member's on their Cluster): Steve lists those too.
 */
export type NamespaceAccess = 'all' | readonly string[]

/** The most objects a named grant shows in one list: each is fetched by name as the caller. */
export const MAX_NAMED_OBJECTS = 500

const cache = new TtlCache<NamespaceAccess>(ACCESS_CACHE_MS, 10_000)

export function namespaceAccess(scope: ClusterScope, type: SteveType, verb: string): Promise<NamespaceAccess> {
  const key = `${scope.cluster}\u0000${scope.identityKey}\u0000${type.group}/${type.plural}\u0000${verb}`
  return once(scope, `access\u0000${key}`, () => cache.through(key, () => decide(scope, type, verb)))
}

export function allows(access: NamespaceAccess, namespace: string | undefined): boolean {
  return access === 'all' || (namespace !== undefined && access.includes(namespace))
}

export function isEmpty(access: NamespaceAccess): boolean {
  return access !== 'all' && access.length === 0
}

/** The verbs among `verbs` the caller may use on an object in `namespace` (link decisions). */
export async function verbsOn(scope: ClusterScope, type: SteveType, verbs: readonly string[]): Promise<(namespace: string | undefined) => string[]> {
  const served = verbs.filter((verb) => type.verbs.includes(verb))
  const access = await Promise.all(served.map((verb) => namespaceAccess(scope, type, verb)))
  return (namespace) => served.filter((_, i) => allows(access[i] as NamespaceAccess, namespace))
}

async function decide(scope: ClusterScope, type: SteveType, verb: string): Promise<NamespaceAccess> {
  if (await review(scope, type, verb, undefined)) return 'all'
  if (!type.namespaced) return isNamespaceType(type) ? [] : namedGrants((await rulesFor(scope)).cluster, type)
  const candidates = await candidateNamespaces(scope)
  if (candidates.length > MAX_CANDIDATE_NAMESPACES) {
    throw new SteveError(
      503,
      'ServiceUnavailable',
      `you hold RoleBindings in ${candidates.length} namespaces of cluster ${scope.cluster}: more than /v1 asks the apiserver about one by one (${MAX_CANDIDATE_NAMESPACES})`,
    )
  }
  const allowed = await mapLimited(candidates, REVIEW_CONCURRENCY, (namespace) => review(scope, type, verb, namespace))
  return candidates.filter((_, i) => allowed[i])
}


/**
 * The names a caller may `get` of a cluster-scoped type by name only (their rules' `resourceNames`). A
 * hint of where to look: each object is then read as the caller, so the apiserver still decides.
 */
export function namedGrants(rules: readonly ResourceRule[], type: Pick<SteveType, 'group' | 'plural'>): string[] {
  const names = new Set<string>()
  for (const r of rules) {
    if (!r.resourceNames.length || !r.verbs.some((v) => v === 'get' || v === '*')) continue
    if (!r.apiGroups.some((g) => g === '*' || g === type.group) || !r.resources.some((x) => x === '*' || x === type.plural)) continue
    for (const n of r.resourceNames) names.add(n)
  }
  return [...names].sort().slice(0, MAX_NAMED_OBJECTS)
}

/** Whether an object of the type passes the access: by namespace, or by name for a cluster-scoped type. */
export function allowsObject(access: NamespaceAccess, type: Pick<SteveType, 'namespaced'>, object: { namespace?: string | undefined; name: string }): boolean {
  if (access === 'all') return true
  return type.namespaced ? object.namespace !== undefined && access.includes(object.namespace) : access.includes(object.name)
}

/** One SelfSubjectAccessReview as the caller. */
export async function review(scope: ClusterScope, type: SteveType, verb: string, namespace: string | undefined): Promise<boolean> {
  const answer = await scope.user.create<SelfSubjectAccessReview>(SELF_SUBJECT_ACCESS_REVIEW, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: { resourceAttributes: { group: type.group, version: type.version, resource: type.plural, verb, ...(namespace ? { namespace } : {}) } },
  })
  return answer.status?.allowed === true
}
