import { DurableObject } from 'cloudflare:workers'
import type { ObjectBindings } from '../env.ts'

/**
 * One object per one-time value (`idFromName('saml:<provider>:<issuer>:<assertion id>')`): whether it was
 * used. A SAML assertion may be presented once; keeping the mark in an object makes that hold across
 * every edge isolate and location. The mark is kept until the value's own expiry (past it, the value is
 * refused for being expired anyway), then an alarm drops it.
 */
export class ReplayGuard extends DurableObject<ObjectBindings> {
  /** True the first time, false on every later call until `expiresAt` (ms) has passed. */
  async claim(expiresAt: number, now: number): Promise<boolean> {
    const kv = this.ctx.storage.kv
    const until = kv.get('until') as number | undefined
    if (until !== undefined && until > now) return false
    kv.put('until', expiresAt)
    await this.ctx.storage.setAlarm(expiresAt)
    return true
  }

  override async alarm(): Promise<void> {
    const until = this.ctx.storage.kv.get('until') as number | undefined
    if (until !== undefined && until > Date.now()) await this.ctx.storage.setAlarm(until)
    else await this.ctx.storage.deleteAll()
  }
}
