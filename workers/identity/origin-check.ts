import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { credentialFrom } from './authenticator.ts'

/**
 * Browser defences against cross-site requests (DESIGN.md, security rules; CSRF and cross-site WebSocket
 * hijacking). A browser attaches the R_SESS cookie to any request to this origin, whichever site made
 * it, and `SameSite=Lax` still lets sibling origins of the same site through. So a request that the
 * cookie authenticates must prove that one of our own pages made it. Bearer and Basic credentials are
 * not ambient (a page must hold them to send them) and are not checked.
 */

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Unsafe methods change state; a WebSocket upgrade is a GET but opens a read-write channel. */
function needsCheck(req: Request): boolean {
  return !SAFE_METHODS.has(req.method) || req.headers.has('upgrade')
}

/** The credential this request authenticates with is the R_SESS cookie (see `credentialFrom`: a present Authorization header wins). */
export function ridesSessionCookie(req: Request): boolean {
  return !req.headers.has('authorization') && credentialFrom(req) !== null
}

/**
 * Why the request did not come from a page of this origin, or null when it did. `Sec-Fetch-Site` is
 * trusted first (browsers set it and pages cannot), then `Origin`. With neither header, `proofRequired`
 * decides: browsers always send `Origin` on unsafe requests and upgrades, so only non-browser clients
 * omit both, and those have no ambient cookie to abuse unless they chose to send one.
 */
export function crossOriginReason(req: Request, proofRequired: boolean): string | null {
  const site = req.headers.get('sec-fetch-site')
  if (site !== null) return site === 'same-origin' ? null : `Sec-Fetch-Site is "${site.slice(0, 40)}", not "same-origin"`
  const origin = req.headers.get('origin')
  const own = new URL(req.url).origin
  if (origin !== null) return origin === own ? null : `Origin "${origin.slice(0, 200)}" is not ${own}`
  return proofRequired ? 'the request carries neither Origin nor Sec-Fetch-Site' : null
}

/** Every unsafe request or upgrade authenticated by the R_SESS cookie must come from this origin. */
export const sameOriginForCookies = createMiddleware<AppEnv>(async (c, next) => {
  const req = c.req.raw
  if (needsCheck(req) && ridesSessionCookie(req)) {
    const reason = crossOriginReason(req, true)
    if (reason) {
      throw new ApiError(403, `cross-origin request refused: ${reason}; a request authenticated by the R_SESS cookie must come from this server's own pages (other clients: send the token as a Bearer header)`)
    }
  }
  await next()
})

/**
 * Login sets the cookie, so a cross-site login would sign a browser in as the attacker (login CSRF).
 * Clients without Origin or Sec-Fetch-Site (curl, kubectl plugins, the CLI) are not browsers and pass.
 */
export const noCrossSiteLogin = createMiddleware<AppEnv>(async (c, next) => {
  const req = c.req.raw
  const reason = needsCheck(req) ? crossOriginReason(req, false) : null
  if (reason) throw new ApiError(403, `cross-origin request refused: ${reason}; sign in from this server's own pages`)
  await next()
})
