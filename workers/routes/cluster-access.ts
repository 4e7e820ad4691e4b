// Who may reach `/k8s/clusters/<id>` at all, decided before any tunnel object is touched (so made-up ids
// never create Durable Objects): the cluster must exist, and the caller must be allowed `get` on it in
// the management cluster — which is what a CRTB grants, and what standard users never hold on `local`
// (the management cluster is for administrators, or whom an administrator binds to it). Kubernetes RBAC
// then decides every request inside the cluster as usual.
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import { GROUP } from '../../protocol/crds/index.ts'
import { mgmt, SELF_SUBJECT_ACCESS_REVIEW, type SelfSubjectAccessReview } from '../../protocol/kube/index.ts'
import type { Principal } from '../identity/authenticator.ts'
import { ApiError } from '../errors.ts'
import type { Management } from '../mgmt/management.ts'

/** How long an isolate keeps an answer: the same bound as token revocation. */
export const ACCESS_CACHE_MS = 5_000
const MAX_ENTRIES = 10_000

type Decision = 'allowed' | 'missing' | 'denied'
const cache = new Map<string, { at: number; decision: Decision }>()


async function decide(management: Management, principal: Principal, id: string): Promise<Decision> {
  const [cluster, review] = await Promise.all([
    management.as(EDGE_IDENTITY).find(mgmt('Cluster'), id),
    management.as(principal.identity).create<SelfSubjectAccessReview>(SELF_SUBJECT_ACCESS_REVIEW, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { group: GROUP, resource: 'clusters', name: id, verb: 'get' } },
    }),
  ])
  if (!cluster) return 'missing'
  return review.status?.allowed === true ? 'allowed' : 'denied'
}

/**
 * Throws 404 for a cluster that does not exist, 403 for one the caller may not reach. System and
 * development credentials (no drover token: the runner, the static dev table) are the operator's own and
 * pass. Answers are cached per identity and cluster for ACCESS_CACHE_MS; a management cluster that cannot
 * answer refuses (503), it never lets through.
 */
export async function assertClusterAccess(management: Management, principal: Principal, id: string, now = Date.now()): Promise<void> {
  if (!principal.token) return
  const { user, groups } = principal.identity
  const key = `${user}\u0000${groups.join('\u0001')}\u0000${id}`
  let hit = cache.get(key)
  if (!hit || now - hit.at >= ACCESS_CACHE_MS) {
    hit = { at: now, decision: await decide(management, principal, id) }
    if (cache.size >= MAX_ENTRIES) cache.clear()
    cache.set(key, hit)
  }
  if (hit.decision === 'missing') throw new ApiError(404, `cluster "${id}" not found`)
  if (hit.decision === 'denied') {
    throw new ApiError(403, id === 'local' ? 'the management cluster (local) is for administrators: use /v3, or ask an administrator for access' : `you have no access to cluster "${id}"`)
  }
}
