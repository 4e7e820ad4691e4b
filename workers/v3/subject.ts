import { USER_GROUPS } from '../identity/drover-authenticator.ts'
import type { Principal } from '../identity/authenticator.ts'
import type { TokenSubject } from '../identity/tokens.ts'

/** Who a new token (API key, kubeconfig) is for: the same user, groups and provider as the caller's. */
export function subjectOf(p: Principal): TokenSubject {
  if (p.token) {
    return {
      userId: p.token.userId,
      username: p.token.username,
      principalIds: p.token.principalIds,
      groups: p.identity.groups.filter((g) => !USER_GROUPS.includes(g)),
      authProvider: p.token.authProvider,
    }
  }
  return {
    userId: p.identity.user,
    username: p.identity.user,
    principalIds: [`local://${p.identity.user}`],
    groups: p.identity.groups.filter((g) => !USER_GROUPS.includes(g)),
    authProvider: 'local',
  }
}
