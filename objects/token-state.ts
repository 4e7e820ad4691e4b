import { DurableObject } from 'cloudflare:workers'

export interface TokenCheck {
  valid: boolean
  reason?: 'revoked' | 'idle'
}

/**
 * One object per token (`idFromName(tokenName)`): whether it was revoked and when it was last used.
 * A token's signature is checked in the worker; this is the part that must be shared by every isolate
 * (logout, deletion, a disabled user or provider, the idle timeout). Workers cache the answer for a few
 * seconds, which bounds how long a revoked token keeps working.
 */
export class TokenState extends DurableObject<Record<string, unknown>> {
  /** Records use at `now`; a session idle for longer than `idleMs` (0: no limit) is revoked for good. */
  check(now: number, idleMs: number): TokenCheck {
    const kv = this.ctx.storage.kv
    const revoked = kv.get('revoked') as TokenCheck['reason'] | undefined
    if (revoked) return { valid: false, reason: revoked }
    const last = kv.get('lastUsed') as number | undefined
    if (idleMs > 0 && last !== undefined && now - last > idleMs) {
      kv.put('revoked', 'idle')
      return { valid: false, reason: 'idle' }
    }
    kv.put('lastUsed', now)
    return { valid: true }
  }

  lastUsed(): number | undefined {
    return this.ctx.storage.kv.get('lastUsed') as number | undefined
  }

  revoke(): void {
    this.ctx.storage.kv.put('revoked', 'revoked')
  }
}
