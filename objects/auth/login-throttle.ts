import { DurableObject } from 'cloudflare:workers'
import type { ObjectBindings } from '../env.ts'
import { EMPTY, LOGIN_POLICIES, recordFailure, retryAfter, type ThrottleScope, type ThrottleState } from './throttle.ts'

/**
 * One object per throttled key (`idFromName('<scope>:<key>')`): login failures for an account, a client
 * address, or the pair. Keeping the count in an object makes the limit hold across every edge isolate.
 */
export class LoginThrottle extends DurableObject<ObjectBindings> {
  private state(): ThrottleState {
    return (this.ctx.storage.kv.get('state') as ThrottleState | undefined) ?? EMPTY
  }

  /** Milliseconds until an attempt is allowed; 0 allows it now. */
  check(now: number): number {
    return retryAfter(this.state(), now)
  }

  failed(scope: ThrottleScope, now: number): number {
    const next = recordFailure(this.state(), now, LOGIN_POLICIES[scope])
    this.ctx.storage.kv.put('state', next)
    return retryAfter(next, now)
  }

  succeeded(): void {
    this.ctx.storage.kv.delete('state')
  }
}
