// One `/v1` request's view of its cluster: the caller's Kubernetes client through that cluster's tunnel
// (the apiserver decides what the caller may do), the list cache's client (for the few reads that only
// narrow where to ask: RoleBindings, namespace names and labels), and the URLs answers link to.
import type { Context } from 'hono'
import type { ClusterIndex } from '../../objects/cache/cluster-index.ts'
import { CACHE_IDENTITY } from '../../protocol/api/identities.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { Identity } from '../../protocol/tunnel/index.ts'
import type { Bindings, Variables } from '../env.ts'

export interface ClusterScope {
  cluster: string
  identity: Identity
  /** The identity as JSON: what per-caller answers are cached under (user, groups and extras all count). */
  identityKey: string
  /** The cluster's API as the caller. */
  user: KubeClient
  /** The cluster's API as the list cache (CACHE_IDENTITY). */
  system: KubeClient
  /** Absolute `/v1` root of this cluster (`https://host/v1`, `https://host/k8s/clusters/c-1/v1`). */
  v1Url: string
  /** Absolute root where this cluster's `/api` and `/apis` are served. */
  kubeUrl: string
  /** The cluster's list index (objects/cache), when the edge has one bound. */
  index: DurableObjectStub<ClusterIndex> | undefined
  /** Work shared by the steps of one request (candidate namespaces, rules): never across requests. */
  memo: Map<string, Promise<unknown>>
}

export type V1Env = { Bindings: Bindings; Variables: Variables & { scope: ClusterScope } }
export type V1Context = Context<V1Env>

export function clusterScope(c: V1Context, cluster: string, v1Path: string): ClusterScope {
  const { identity, identityJson } = c.var.principal
  const origin = new URL(c.req.url).origin
  return {
    cluster,
    identity,
    identityKey: identityJson ?? JSON.stringify(identity),
    user: c.var.management.in(cluster, identity),
    system: c.var.management.in(cluster, CACHE_IDENTITY),
    v1Url: `${origin}${v1Path}`,
    kubeUrl: `${origin}/k8s/clusters/${cluster}`,
    index: c.env.CACHE ? c.env.CACHE.get(c.env.CACHE.idFromName(cluster)) : undefined,
    memo: new Map(),
  }
}

/** `load()` once per request under `key`. */
export function once<T>(scope: ClusterScope, key: string, load: () => Promise<T>): Promise<T> {
  let hit = scope.memo.get(key) as Promise<T> | undefined
  if (!hit) {
    hit = load()
    scope.memo.set(key, hit)
  }
  return hit
}
