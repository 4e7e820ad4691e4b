import { DurableObject } from 'cloudflare:workers'
import type { ObjectBindings } from '../env.ts'

export interface TokenCheck {
  valid: boolean
  reason?: 'revoked' | 'idle'
}

/**
 * One object per token name (`idFromName(tokenName)`): when tokens of that name were revoked and when the
 * name was last used; and one per user (`idFromName('user:' + userId)`; `user:` is no token name): when
 * every token of that user was revoked (it was deleted or disabled), read with `revokedAt()`. A token's
 * signature is checked in the worker; this is the part every isolate must share (logout, deletion, a
 * disabled user or provider, the idle timeout). Workers cache the answer for a few seconds, which bounds
 * how long a revoked token keeps working.
 *
 * Revocation is a point in time, not a flag: it refuses every token of this name issued at or before it.
 * Names are five random characters and are freed when a token is deleted, so a later token may reuse one;
 * it was issued after the revocation and is not affected.
 */
export class TokenState extends DurableObject<ObjectBindings> {
  /** Records use at `now`; a token idle for longer than `idleMs` (0: no limit) is revoked for good. */
  check(now: number, idleMs: number, issuedAtMs: number): TokenCheck {
    const kv = this.ctx.storage.kv
    const revokedAt = kv.get('revokedAt') as number | undefined
    if (revokedAt !== undefined && issuedAtMs <= revokedAt) return { valid: false, reason: kv.get('reason') === 'idle' ? 'idle' : 'revoked' }
    // A use recorded for an older token of the same name says nothing about this one.
    const last = Math.max((kv.get('lastUsed') as number | undefined) ?? issuedAtMs, issuedAtMs)
    if (idleMs > 0 && now - last > idleMs) {
      this.revokeAt(now, 'idle')
      return { valid: false, reason: 'idle' }
    }
    kv.put('lastUsed', now)
    return { valid: true }
  }

  /** When tokens of this name (or this user) were last revoked, in ms; 0 if never. Records nothing. */
  revokedAt(): number {
    return (this.ctx.storage.kv.get('revokedAt') as number | undefined) ?? 0
  }

  /** Refuses every token of this name (or this user) issued up to `now`. */
  revoke(now: number): void {
    this.revokeAt(now, 'revoked')
  }

  private revokeAt(now: number, reason: 'idle' | 'revoked'): void {
    const kv = this.ctx.storage.kv
    const prior = (kv.get('revokedAt') as number | undefined) ?? 0
    kv.put('revokedAt', Math.max(prior, now))
    kv.put('reason', reason)
  }
}
