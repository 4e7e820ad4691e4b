// Authorization of the original user, delegated to the management cluster (a SubjectAccessReview, the
// `system:auth-delegator` pattern): the extension server holds no policy of its own. Decisions are cached
// briefly, bounded, so a burst of logins costs one review per user and verb.
import type { Logger } from 'pino'
import type { KubeClient } from '../../protocol/kube/client.ts'
import type { RequestUser } from './resource.ts'

/** What is asked: a verb on a resource of a group (`resource`), or on a non-resource path (discovery). */
export type Attributes =
  | { kind: 'resource'; verb: string; group: string; version: string; resource: string; name?: string }
  | { kind: 'path'; verb: string; path: string }

export interface Decision {
  allowed: boolean
  /** The authorizer's reason, when it gave one (for the log). */
  reason?: string
}

export interface AuthorizerOptions {
  ttlMs?: number
  maxEntries?: number
  now?: () => number
}

/** kube-apiserver's superuser group: allowed without a review, as the generic apiserver does. */
const MASTERS = 'system:masters'
const REVIEW_TIMEOUT_MS = 10_000

interface SubjectAccessReviewStatus {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string }
}

export class SubjectAccessReviewer {
  private readonly cache = new Map<string, { decision: Decision; until: number }>()
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly now: () => number

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    opts: AuthorizerOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 5_000
    this.maxEntries = opts.maxEntries ?? 1_024
    this.now = opts.now ?? Date.now
  }

  /** Throws when the management cluster cannot answer (not cached: the next request asks again). */
  async authorize(user: RequestUser, attrs: Attributes, signal?: AbortSignal): Promise<Decision> {
    if (user.groups.includes(MASTERS)) return { allowed: true }
    const spec = {
      user: user.name,
      groups: user.groups,
      extra: user.extra,
      ...(attrs.kind === 'resource'
        ? { resourceAttributes: { verb: attrs.verb, group: attrs.group, version: attrs.version, resource: attrs.resource, ...(attrs.name ? { name: attrs.name } : {}) } }
        : { nonResourceAttributes: { verb: attrs.verb, path: attrs.path } }),
    }
    const key = JSON.stringify(spec)
    const now = this.now()
    const hit = this.cache.get(key)
    if (hit && hit.until > now) return hit.decision
    const timeout = AbortSignal.timeout(REVIEW_TIMEOUT_MS)
    const review = await this.client.request<SubjectAccessReviewStatus>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
    const status = review.status ?? {}
    if (status.evaluationError) this.logger.warn({ user: user.name, evaluationError: status.evaluationError }, 'subject access review reported an evaluation error')
    const decision: Decision = { allowed: status.allowed === true && status.denied !== true, ...(status.reason ? { reason: status.reason } : {}) }
    this.remember(key, decision, now)
    return decision
  }

  private remember(key: string, decision: Decision, now: number): void {
    this.cache.delete(key)
    if (this.cache.size >= this.maxEntries) {
      // Expired entries first; else the oldest (a Map iterates in insertion order).
      for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k)
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!)
    }
    this.cache.set(key, { decision, until: now + this.ttlMs })
  }
}
