// Token expiry: a Token past `expiresAt` is deleted; otherwise the reconcile comes back at expiry. A
// Token that is gone — deleted through /v3, by this controller, or straight in the cluster — is revoked at
// the edge, whose signed tokens would otherwise stay valid until they expire.
import type { Token } from '../../protocol/crds/index.ts'
import type { Cache, Clock, Reconciler, Request, Result } from '../runtime/types.ts'
import { mgmt, type KubeClient } from '../../protocol/kube/index.ts'

const TOKEN = mgmt('Token')

export class TokenReconciler implements Reconciler {
  constructor(private readonly deps: { tokens: Cache<Token>; client: KubeClient; clock: Clock; onTokenDeleted?: (name: string) => Promise<void> }) {}

  async reconcile({ name }: Request): Promise<Result> {
    const t = this.deps.tokens.get(name)
    if (!t) {
      await this.deps.onTokenDeleted?.(name)
      return {}
    }
    if (!t.expiresAt || t.metadata.deletionTimestamp) return {}
    const expires = Date.parse(t.expiresAt)
    if (!Number.isFinite(expires)) return {}
    const left = expires - this.deps.clock.now()
    if (left > 0) return { requeueAfter: left + 500 }
    // The uid precondition: never delete a newer token that reused the name.
    await this.deps.client.delete(TOKEN, name, { preconditions: { uid: t.metadata.uid! } })
    return {}
  }
}
