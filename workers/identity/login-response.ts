import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { presentToken } from '../v3/tokens.ts'
import { setSessionCookie } from './cookie.ts'
import type { Issued } from './tokens.ts'

/** Answers a login as Rancher does: the token JSON for `responseType: "json"`, else the R_SESS cookie. */
export function loginResponse(c: Context<AppEnv>, issued: Issued, responseType: string | undefined, ttlMs: number): Response {
  if (responseType === 'json') return c.json(presentToken(c, issued.token, { token: issued.value }), 201)
  setSessionCookie(c, issued.value, Math.floor(ttlMs / 1000))
  return c.body(null, 200)
}
