// What every external provider's login shares (OIDC, GitHub): the same-origin return path, loopback
// hosts, the group budget of a session, access mode, and the step from verified principals to the
// subject a session token carries.
import type { KubeClient } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import type { TokenSubject } from './tokens.ts'
import { findOrCreateUser, findUserByPrincipal } from './users.ts'

/**
 * Where to go after login: a same-origin path only (`/x`, never `//host`, `/\host` or a scheme), so the
 * login can never be turned into an open redirect.
 */
export function safeRedirect(value: string | undefined): string {
  if (!value) return '/'
  if (value.length > 2048 || !value.startsWith('/') || value.startsWith('//') || /[\\\x00-\x1f\x7f]/.test(value)) {
    throw new ApiError(422, 'redirect must be a path on this server, such as /dashboard', 'InvalidFormat')
  }
  const base = 'https://edge.invalid'
  const url = new URL(value, base)
  if (url.origin !== base) throw new ApiError(422, 'redirect must be a path on this server, such as /dashboard', 'InvalidFormat')
  return `${url.pathname}${url.search}${url.hash}`
}

/**
 * Hosts that may be spoken to over plain HTTP: local development stand-ins only (a production edge cannot
 * reach a loopback address anyway).
 */
export const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/

/**
 * Groups ride in the token twice (claims `grp` and `pid`) and the token in the R_SESS cookie, which
 * browsers cap near 4 KiB: this many characters of group principal ids keep it under that.
 */
export const MAX_GROUP_CHARS = 1200

/** Whether the group principal ids fit a session (MAX_GROUP_CHARS, counting JSON quotes and commas). */
export const groupsFit = (groups: readonly string[]): boolean => groups.reduce((n, g) => n + g.length + 3, 0) <= MAX_GROUP_CHARS

export type AccessMode = 'required' | 'restricted' | 'unrestricted'

export interface AccessSettings {
  accessMode: AccessMode
  allowedPrincipalIds: readonly string[]
}

/** Whether `restricted`/`required` access lets any of these principals in (`unrestricted` lets everyone). */
export function accessAllowed(settings: AccessSettings, principals: readonly string[]): boolean {
  if (settings.accessMode === 'unrestricted') return true
  const allowed = new Set(settings.allowedPrincipalIds)
  return principals.some((p) => allowed.has(p))
}

export interface VerifiedLogin {
  provider: string
  userPrincipal: string
  /** Group principal ids, within MAX_GROUP_CHARS. */
  groups: string[]
  displayName: string
  username: string
}

/**
 * Access mode, then the User (found, or created on first login) and the subject of its session. Access is
 * checked before a User is created, so a refused principal leaves nothing behind; an allowed
 * `local://u-…` id can only match a user that exists already.
 */
export async function subjectForLogin(edge: KubeClient, settings: AccessSettings, login: VerifiedLogin): Promise<TokenSubject> {
  const { provider, userPrincipal, groups } = login
  if (!accessAllowed(settings, [userPrincipal, ...groups])) {
    const existing = await findUserByPrincipal(edge, userPrincipal)
    if (!existing || !accessAllowed(settings, [`local://${existing.metadata.name}`])) {
      throw new ApiError(403, `${provider} login refused: this user is not allowed to log in (access mode ${settings.accessMode})`, 'PermissionDenied')
    }
  }
  const user = await findOrCreateUser(edge, { principalId: userPrincipal, displayName: login.displayName, provider })
  if (user.enabled === false) throw new ApiError(403, `${provider} login refused: the user is disabled`, 'PermissionDenied')
  return { userId: user.metadata.name ?? '', username: login.username, principalIds: [userPrincipal, ...groups], groups, authProvider: provider }
}
