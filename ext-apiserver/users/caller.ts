// Who a request to Rancher's user resources comes from: a drover user (the front proxy names them by user
// id, `u-…`, with their groups and extras as the edge set them), never a system identity. As in Rancher,
// "user X is not a Rancher user" is a 403.
import { mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { Attributes } from '../server/authorizer.ts'
import type { ExtContext } from '../context.ts'
import type { RequestUser } from '../server/resource.ts'
import { statusError } from '../server/status.ts'

export interface RancherUser {
  userId: string
  /** The login name (extra `username`, else the User's). */
  username: string
  displayName: string
  /** The user's principal (extra `principalid`, else `local://<id>`). */
  principalId: string
  provider: string
  /** Group principals: the caller's groups less Kubernetes' and drover's `system:` ones. */
  groups: string[]
  /** The User CR (its username decides whether it is a local user). */
  user: UserObject
}

export interface UserObject extends KubeObject {
  username?: string
  displayName?: string
  enabled?: boolean
  mustChangePassword?: boolean
  principalIds?: string[]
}

export const USER = mgmt('User')

/** The provider of a principal id: `local://u-x` → local, `openldap_user://…` → openldap. */
export const providerOf = (principalId: string): string => principalId.split('://')[0]!.split('_')[0] || 'local'

/** The caller as a drover user, or a 403 for system identities, unknown and disabled users. */
export async function rancherUser(client: KubeClient, user: RequestUser, signal?: AbortSignal): Promise<RancherUser> {
  const notRancher = statusError(403, `user ${user.name} is not a Rancher user`)
  // System identities (system:admin, service accounts, drover's own) carry a colon; user ids never do.
  if (user.name.includes(':')) throw notRancher
  const found = await client.find<UserObject>(USER, user.name, undefined, { signal })
  if (!found) throw notRancher
  if (found.enabled === false) throw statusError(403, `user ${user.name} is disabled`)
  const principalId = user.extra.principalid?.[0] ?? `local://${user.name}`
  return {
    userId: user.name,
    username: user.extra.username?.[0] ?? found.username ?? user.name,
    displayName: found.displayName ?? found.username ?? user.name,
    principalId,
    provider: providerOf(principalId),
    groups: user.groups.filter((g) => !g.startsWith('system:')),
    user: found,
  }
}

/** Whether the caller may see everyone's tokens (and kubeconfigs): `list` on tokens.management.cattle.io. */
export async function seesAllTokens(ctx: Pick<ExtContext, 'authorizer'>, user: RequestUser, signal?: AbortSignal): Promise<boolean> {
  const attrs: Attributes = { kind: 'resource', verb: 'list', group: 'management.cattle.io', version: 'v3', resource: 'tokens' }
  return (await ctx.authorizer.authorize(user, attrs, signal)).allowed
}
