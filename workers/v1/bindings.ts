// Where a caller may hold a namespaced grant: the namespaces of the RoleBindings that name them — their
// user, one of their groups, or (for a service account) the account. This only narrows where to ask: the
// apiserver decides every grant (access.ts, rules.ts), so a stale index can delay a new grant by at most
// BINDINGS_CACHE_MS and never grant anything. Read as the list cache (CACHE_IDENTITY), since a user may
// not list RoleBindings; a cluster where that identity may not read them yields no candidates (the user
// then sees only what they are granted cluster-wide) and says so in the log.
import { isForbidden, ROLE_BINDING, type KubeObject } from '../../protocol/kube/index.ts'
import type { Identity } from '../../protocol/tunnel/index.ts'
import { REVOCATION_CACHE_MS } from '../identity/revocation.ts'
import { isRecord } from './kube-json.ts'
import { once, type ClusterScope } from './scope.ts'
import { TtlCache } from './ttl-cache.ts'

export const BINDINGS_CACHE_MS = REVOCATION_CACHE_MS
/** More candidate namespaces than this for one caller are refused rather than asked about one by one. */
export const MAX_CANDIDATE_NAMESPACES = 500

/** Subject key (`User:alice`, `Group:devs`, `ServiceAccount:ns/name`) → namespaces with a RoleBinding naming it. */
export type BindingIndex = Map<string, Set<string>>

const cache = new TtlCache<BindingIndex>(BINDINGS_CACHE_MS, 256)

interface RoleBinding extends KubeObject {
  subjects?: unknown
}

/** The namespaces, sorted, in which a RoleBinding names the caller. */
export function candidateNamespaces(scope: ClusterScope): Promise<string[]> {
  return once(scope, 'candidates', async () => {
    const index = await cache.through(scope.cluster, () => readIndex(scope))
    return namespacesFor(index, scope.identity)
  })
}

export function namespacesFor(index: BindingIndex, identity: Identity): string[] {
  const keys = [`User:${identity.user}`, ...identity.groups.map((g) => `Group:${g}`)]
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(identity.user)
  if (sa) keys.push(`ServiceAccount:${sa[1]}/${sa[2]}`)
  const found = new Set<string>()
  for (const key of keys) for (const ns of index.get(key) ?? []) found.add(ns)
  return [...found].sort()
}

async function readIndex(scope: ClusterScope): Promise<BindingIndex> {
  const index: BindingIndex = new Map()
  try {
    for await (const page of scope.system.pages<RoleBinding>(ROLE_BINDING)) {
      for (const binding of page.items) addBinding(index, binding)
    }
  } catch (e) {
    if (!isForbidden(e)) throw e
    console.warn(`cluster ${scope.cluster}: the list cache's identity may not list RoleBindings; /v1 shows users only their cluster-wide grants there`)
  }
  return index
}

export function addBinding(index: BindingIndex, binding: RoleBinding): void {
  const namespace = binding.metadata.namespace
  if (!namespace || !Array.isArray(binding.subjects)) return
  for (const subject of binding.subjects) {
    if (!isRecord(subject) || typeof subject.name !== 'string') continue
    let key: string
    if (subject.kind === 'User' || subject.kind === 'Group') key = `${subject.kind}:${subject.name}`
    else if (subject.kind === 'ServiceAccount') key = `ServiceAccount:${typeof subject.namespace === 'string' && subject.namespace ? subject.namespace : namespace}/${subject.name}`
    else continue
    let set = index.get(key)
    if (!set) index.set(key, (set = new Set()))
    set.add(namespace)
  }
}
