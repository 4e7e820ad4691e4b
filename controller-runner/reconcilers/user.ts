// Revocation follows the user: a User that is gone (or being deleted) or disabled — by /v3, kubectl or any
// other writer — has every token it was issued revoked at the edge, those whose Token CR is already gone
// included (the edge keeps a per-user revocation point in time), and its Token CRs are deleted. Re-enabling
// the user does not bring old tokens back; tokens from later logins work.
import type { Token, User } from '../../protocol/crds/index.ts'
import type { Cache, ControllerSpec, Reconciler, Request, Result } from '../runtime/types.ts'
import type { ReconcilerContext } from './index.ts'
import { isConflict, mgmt, type KubeClient } from '../../protocol/kube/index.ts'

const USER = mgmt('User')
const TOKEN = mgmt('Token')
/** Users revoked in this term; a larger set is forgotten (a repeat costs one idempotent edge call). */
const MAX_REMEMBERED = 10_000

export interface UserDeps {
  users: Cache<User>
  tokens: Cache<Token>
  client: KubeClient
  /** Revokes, at the edge, every token of the user issued until now (`DELETE /v3/system/users/<id>/tokens`). */
  revokeUserTokens?: (userId: string) => Promise<void>
}

export class UserReconciler implements Reconciler {
  /** userId → what was revoked for it in this term (`gone`, or `disabled:<uid>`), so resyncs do not repeat it. */
  private readonly revoked = new Map<string, string>()

  constructor(private readonly deps: UserDeps) {}

  async reconcile({ name }: Request): Promise<Result> {
    const cached = this.deps.users.get(name)
    if (cached && !cached.metadata.deletionTimestamp && cached.enabled !== false) {
      this.revoked.delete(name)
      return {}
    }
    // The caches of Users and Tokens fill independently: a Token may be seen before its new User. Only
    // the apiserver's answer says the user is really gone or disabled.
    const user = await this.deps.client.find<User>(USER, name)
    const state = !user || user.metadata.deletionTimestamp ? 'gone' : user.enabled === false ? `disabled:${user.metadata.uid}` : undefined
    if (!state) return {}
    if (this.revoked.get(name) !== state) {
      await this.deps.revokeUserTokens?.(name)
      if (this.revoked.size >= MAX_REMEMBERED) this.revoked.clear()
      this.revoked.set(name, state)
    }
    // Its Token CRs go too, as through /v3 (the token controller revokes each name as well). The uid
    // precondition never deletes a newer token that reused a name.
    for (const t of this.deps.tokens.list()) {
      if (t.userId !== name || t.metadata.deletionTimestamp) continue
      try {
        await this.deps.client.delete(TOKEN, t.metadata.name!, { preconditions: { uid: t.metadata.uid! } })
      } catch (e) {
        // 409: the name is another token's by now; the cache will show it, and its own user decides.
        if (!isConflict(e)) throw e
      }
    }
    return {}
  }
}

/**
 * The controller: Users, and Tokens mapped to their user, so that a user deleted while no runner ran still
 * has its tokens revoked once one does (while its Token CRs remain).
 */
export function usersController(ctx: Pick<ReconcilerContext, 'cache' | 'revokeUserTokens'>, client: KubeClient): ControllerSpec {
  const userOfToken = (t: { metadata?: { name?: string } }): Request[] => {
    const userId = (t as Partial<Token>).userId
    return userId ? [{ name: userId }] : []
  }
  return {
    name: 'users',
    type: USER,
    workers: 2,
    reconciler: new UserReconciler({
      users: ctx.cache<User>(USER),
      tokens: ctx.cache<Token>(TOKEN),
      client,
      ...(ctx.revokeUserTokens ? { revokeUserTokens: ctx.revokeUserTokens } : {}),
    }),
    watches: [{ type: TOKEN, map: userOfToken }],
  }
}
