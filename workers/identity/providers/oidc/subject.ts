// From the provider's claims to the identity a session token carries: the user principal, the group
// principals (which are also the Kubernetes groups the user is impersonated with), access mode, and the
// User CR the login belongs to.
import { ApiError } from '../../../errors.ts'
import type { KubeClient } from '../../../../protocol/kube/index.ts'
import { accessAllowed, groupsFit, MAX_GROUP_CHARS, subjectForLogin } from '../../external-login.ts'
import type { TokenSubject } from '../../tokens.ts'
import { GROUP_PRINCIPAL_PREFIX, PROVIDER, USER_PRINCIPAL_PREFIX, type OidcSettings } from './config.ts'
import type { Claims } from './client.ts'

export { accessAllowed, MAX_GROUP_CHARS }
const MAX_GROUP_NAME = 256

const str = (v: unknown, max = 256) => (typeof v === 'string' && v.length <= max ? v : '')

/** The groups claim as names: an array of strings, or one string; anything else is no groups. */
export function groupNames(claims: Claims, claim: string): string[] {
  const raw = claims[claim]
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []
  const names = list.filter((g): g is string => typeof g === 'string' && g.length > 0)
  if (names.some((g) => g.length > MAX_GROUP_NAME || /[\x00-\x1f\x7f]/.test(g))) {
    throw new ApiError(422, `${PROVIDER} login failed: a group name in claim "${claim}" is longer than ${MAX_GROUP_NAME} characters or has control characters`, 'InvalidBodyContent')
  }
  return [...new Set(names)].sort()
}

export async function subjectFor(edge: KubeClient, settings: OidcSettings, claims: Claims): Promise<TokenSubject> {
  const sub = str(claims.sub, 255)
  if (!sub) throw new ApiError(401, `${PROVIDER} login failed: the ID token has no usable subject`, 'Unauthorized')
  const userPrincipal = `${USER_PRINCIPAL_PREFIX}${sub}`
  const groups = groupNames(claims, settings.groupsClaim).map((g) => `${GROUP_PRINCIPAL_PREFIX}${g}`)
  if (!groupsFit(groups)) {
    throw new ApiError(422, `${PROVIDER} login failed: the user is in more groups than a session can carry (${MAX_GROUP_CHARS} characters of group ids)`, 'InvalidBodyContent')
  }
  const displayName = str(claims.name) || str(claims.preferred_username) || str(claims.email) || sub
  const username = str(claims.preferred_username) || str(claims.email) || sub
  return subjectForLogin(edge, settings, { provider: PROVIDER, userPrincipal, groups, displayName, username })
}
