import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'

/** R_SESS, Rancher's session cookie: HttpOnly, and `__Host-`-strength (Secure, Path=/, no Domain) over TLS. */
export function setSessionCookie(c: Context, value: string, maxAgeS?: number): void {
  const secure = new URL(c.req.url).protocol === 'https:'
  setCookie(c, 'R_SESS', value, { path: '/', httpOnly: true, secure, sameSite: 'Lax', ...(maxAgeS ? { maxAge: maxAgeS } : {}) })
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, 'R_SESS', { path: '/', secure: new URL(c.req.url).protocol === 'https:' })
}
