// Rancher's ext tokens (`ext/<name>:<secret>`), which the extension API server issues
// (`tokens.ext.cattle.io`, `kubeconfigs.ext.cattle.io`): it cannot sign drover's JWTs (only the edge holds
// the keys), so it stores a Token CR with a salted hash of a random secret, labelled kind `ext`. The edge
// checks one by reading that CR, then puts it through the same revocation checks as its own tokens:
// deleting the CR (/v3/tokens, kubectl, the runner revoking the name) or disabling its user stops it within
// the revocation bound.
import { EXT_TOKEN_KIND, EXT_TOKEN_PREFIX, KIND_LABEL, parseExtTokenValue, saltedHashMatches } from '../../protocol/api/tokens.ts'
import type { Token } from '../../protocol/crds/index.ts'
import { mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import type { Bindings } from '../env.ts'
import { USER_GROUPS, type Principal } from './authenticator.ts'
import { tokenUsableUntil } from './revocation.ts'

export const isExtTokenValue = (value: string): boolean => value.startsWith(EXT_TOKEN_PREFIX)

/**
 * The principal of a valid ext token and until when that answer may be reused (its expiry, the revocation
 * bound); null for a malformed value, an unknown name, another kind of Token, a wrong secret, a disabled or
 * expired token, or a revoked one. Throws only when the management cluster cannot be asked.
 */
export async function extTokenPrincipal(env: Pick<Bindings, 'TOKENS'>, edge: KubeClient, value: string, now: number): Promise<{ principal: Principal; until: number } | null> {
  const parsed = parseExtTokenValue(value)
  if (!parsed) return null
  const token = await edge.find<Token>(mgmt('Token'), parsed.name)
  // The hash is compared whatever else is wrong, so timing does not tell a known name from an unknown one.
  const matches = await saltedHashMatches(parsed.secret, token?.token ?? 'sha256$none$none')
  if (!token || !matches || token.metadata.labels?.[KIND_LABEL] !== EXT_TOKEN_KIND) return null
  const userId = token.userId ?? ''
  const issuedAtMs = Date.parse(token.metadata.creationTimestamp ?? '')
  const expiresAtMs = token.expiresAt ? Date.parse(token.expiresAt) : 0
  if (!userId || token.enabled === false || !Number.isFinite(issuedAtMs) || Number.isNaN(expiresAtMs) || (expiresAtMs > 0 && expiresAtMs <= now)) return null
  // creationTimestamp has whole seconds, never later than the real moment: a user revocation in the same
  // second as the token's creation refuses it too (fail closed).
  const usableUntil = await tokenUsableUntil(env, { name: parsed.name, userId, issuedAtMs }, 0, now)
  if (usableUntil === null) return null
  const principalId = token.userPrincipal?.metadata?.name ?? `local://${userId}`
  const username = token.userPrincipal?.loginName ?? userId
  const groups = (token.groupPrincipals ?? []).map((g) => g.metadata?.name ?? '').filter(Boolean)
  const identity = { user: userId, groups: [...USER_GROUPS, ...groups], extra: { principalid: [principalId], username: [username] } }
  const principal: Principal = {
    identity,
    identityJson: JSON.stringify(identity),
    // A cluster-scoped ext token (every kubeconfig's) reaches only its cluster.
    clusters: token.clusterName ? [token.clusterName] : '*',
    token: { name: parsed.name, kind: 'ext', userId, username, authProvider: token.authProvider ?? 'local', principalIds: [principalId, ...groups] },
  }
  return { principal, until: expiresAtMs > 0 ? Math.min(usableUntil, expiresAtMs) : usableUntil }
}
