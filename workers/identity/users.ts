// User CRs as every provider sees them. An external provider's user (OIDC today; LDAP, SAML, GitHub
// next) is one User per principal, found by a label holding a hash of the principal id (label values
// cannot hold `://`), created on first login as Rancher does.
import type { GlobalRole, User } from '../../protocol/crds/index.ts'
import { isAlreadyExists, mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import { mgmtObject, type KubeObject } from '../mgmt/management.ts'
import { randomId } from './compare.ts'

export type UserObject = User & KubeObject

/** The first 40 hex digits of SHA-256 of a principal id (case-sensitive: OIDC subjects are). */
export const PRINCIPAL_LABEL = 'drover.io/principal-hash'

export async function principalHash(principalId: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(principalId))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 40)
}

const USER = mgmt('User')

export async function findUserByPrincipal(edge: KubeClient, principalId: string): Promise<UserObject | undefined> {
  const list = await edge.list<UserObject>(USER, { labelSelector: `${PRINCIPAL_LABEL}=${await principalHash(principalId)}` })
  return list.items.find((u) => u.principalIds?.includes(principalId))
}

export interface ExternalUser {
  principalId: string
  displayName: string
  provider: string
}

/**
 * The user a principal logs in as, created (as the edge) on first login with the global roles marked
 * `newUserDefault`. The id is derived from the principal's hash, so two first logins at once meet at a
 * 409 instead of making two users.
 */
export async function findOrCreateUser(edge: KubeClient, who: ExternalUser): Promise<UserObject> {
  const found = await findUserByPrincipal(edge, who.principalId)
  if (found) {
    if (who.displayName && found.displayName !== who.displayName) {
      return edge.patch<UserObject>(USER, found.metadata.name ?? '', { displayName: who.displayName })
    }
    return found
  }
  const hash = await principalHash(who.principalId)
  for (const id of [`u-${hash.slice(0, 10)}`, `u-${randomId(10)}`]) {
    const user = mgmtObject('User', {
      metadata: { name: id, labels: { [PRINCIPAL_LABEL]: hash }, annotations: { 'drover.io/auth-provider': who.provider } },
      displayName: who.displayName,
      description: '',
      mustChangePassword: false,
      enabled: true,
      principalIds: [who.principalId, `local://${id}`],
    })
    try {
      const created = await edge.create<UserObject>(USER, user)
      await bindDefaultRoles(edge, id)
      return created
    } catch (err) {
      if (!isAlreadyExists(err)) throw err
      const raced = await findUserByPrincipal(edge, who.principalId)
      if (raced) return raced
      // The derived id belongs to someone else (a 40-bit collision): take a random one.
    }
  }
  throw new ApiError(409, 'could not create a user for this login; try again', 'Conflict')
}

async function bindDefaultRoles(edge: KubeClient, userId: string): Promise<void> {
  const roles = (await edge.list<GlobalRole>(mgmt('GlobalRole'))).items.filter((r) => r.newUserDefault)
  for (const role of roles) {
    await edge.create(mgmt('GlobalRoleBinding'), mgmtObject('GlobalRoleBinding', {
      metadata: { name: `grb-${randomId(5)}`, annotations: { 'field.cattle.io/creatorId': userId } },
      globalRoleName: role.metadata.name,
      userName: userId,
    }))
  }
}
