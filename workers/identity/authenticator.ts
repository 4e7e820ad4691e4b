import type { Identity } from '../../protocol/tunnel/index.ts'
import type { TokenKind } from './jwt.ts'

/** Who a verified credential belongs to, and which clusters it may reach. */
export interface Principal {
  identity: Identity
  /** `JSON.stringify(identity)`, made once per verified credential so a proxied request does not encode it again. */
  identityJson?: string
  /** `'*'` for any cluster; otherwise the ids this credential is scoped to. */
  clusters: '*' | string[]
  /** Present for drover tokens (login, API keys, kubeconfigs, ext tokens); absent for system and development credentials. */
  token?: { name: string; kind: TokenKind | 'ext'; userId: string; username: string; authProvider: string; principalIds: string[] }
}

/** Every logged-in user is in these groups, as in Rancher. */
export const USER_GROUPS = ['system:authenticated', 'system:cattle:authenticated']

/**
 * The edge's one seam for authentication. The proxy and the /v3 API depend only on this.
 */
export interface Authenticator {
  /** A user's credential (token value) → principal, or null when it is not valid. */
  user(token: string): Promise<Principal | null>
  /** An agent's `X-API-Tunnel-Token` → the cluster it belongs to, or null; throws a 503 ApiError when it cannot be checked now. */
  agent(token: string): Promise<{ clusterId: string } | null>
}

/** Rancher accepts a token as Bearer, as Basic `user:password` (the two halves of `token-xxxxx:secret`) or the R_SESS cookie. */
export function credentialFrom(req: Request): string | null {
  const auth = req.headers.get('authorization')
  if (auth) {
    const [scheme, value] = auth.split(/\s+/, 2)
    if (scheme?.toLowerCase() === 'bearer' && value) return value
    if (scheme?.toLowerCase() === 'basic' && value) {
      try {
        return atob(value)
      } catch {
        return null
      }
    }
    return null
  }
  const cookie = req.headers.get('cookie')
  const m = cookie ? /(?:^|;\s*)R_SESS=([^;]+)/.exec(cookie) : null
  if (!m) return null
  try {
    return decodeURIComponent(m[1]!)
  } catch {
    return null
  }
}

/** The user id a principal acts as: the token's user, or the impersonated name for system credentials. */
export function userIdOf(p: Principal): string {
  return p.token?.userId ?? p.identity.user
}
