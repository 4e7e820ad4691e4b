// `groupmembershiprefreshrequests.ext.cattle.io`: Rancher's "refresh group memberships" for one user or
// all. For each directory principal a user has, its groups are read from the directory now, and every
// session of that provider whose groups (the Token CR's `groupPrincipals`, as signed into it) no longer
// hold is deleted — the runner then revokes it at the edge (controller-runner/reconcilers/token.ts).
// Sessions of a user gone or disabled in the directory are deleted too. The edge also does this by
// itself, lazily, every `auth-user-info-max-age-seconds` (workers/identity/group-refresh.ts); this is the
// operator's "now".
import type { Logger } from 'pino'
import * as v from 'valibot'
import { DIRECTORY_PROVIDERS, EXT_API_VERSION, GROUP_MEMBERSHIP_REFRESH_REQUEST, type DirectoryProvider, type GroupMembershipRefreshRequest } from '../../protocol/api/ext.ts'
import { PROVIDER_LABEL, USER_ID_LABEL } from '../../protocol/api/tokens.ts'
import type { Token, User } from '../../protocol/crds/index.ts'
import { mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { LdapConfigError } from '../ldap/config.ts'
import { lookupGroups } from '../ldap/search.ts'
import type { CreateRequest, ExtResource } from '../server/resource.ts'
import { configFor, parseReview } from './config.ts'
import { DIALECTS } from './dialects.ts'
import { ConfigUnavailable } from './stored-config.ts'

/** At most this many users in one `*` request; more wait for the edge's own periodic check. */
export const MAX_USERS = 1000

const schema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('GroupMembershipRefreshRequest'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({ userId: v.pipe(v.string(), v.regex(/^(\*|[a-z0-9][a-z0-9.-]{0,252})$/, 'a user id (u-…) or *')) }),
})

type UserObject = User & KubeObject
type TokenObject = Token & KubeObject
type Outcome = { checked: boolean; ended: number; failure?: string }

async function refreshUser(client: KubeClient, log: Logger, user: UserObject): Promise<Outcome> {
  const out: Outcome = { checked: false, ended: 0 }
  for (const provider of DIRECTORY_PROVIDERS) {
    const prefix = `${DIALECTS[provider].scope}_user://`
    const principal = user.principalIds?.find((p) => p.startsWith(prefix))
    if (!principal) continue
    const result = await groupsNow(client, provider, principal.slice(prefix.length))
    if (result === 'provider-off') continue
    if (result === 'unavailable') {
      out.failure = `the ${provider} directory could not be asked about ${user.metadata.name}`
      continue
    }
    out.checked = true
    const userId = user.metadata.name ?? ''
    const tokens = (await client.list<TokenObject>(mgmt('Token'), { labelSelector: `${USER_ID_LABEL}=${userId},${PROVIDER_LABEL}=${provider}` })).items
    for (const t of tokens) {
      const groups = (t.groupPrincipals ?? []).map((g) => g.metadata?.name ?? '')
      if (result !== 'gone' && groups.every((g) => result.has(g))) continue
      // The uid precondition: never delete a newer token that reused the name.
      if (await client.delete(mgmt('Token'), t.metadata.name ?? '', { preconditions: { uid: t.metadata.uid! } })) out.ended++
    }
  }
  if (out.ended) log.info({ user: user.metadata.name, sessionsEnded: out.ended }, 'group refresh ended sessions whose groups no longer hold')
  return out
}

async function groupsNow(client: KubeClient, provider: DirectoryProvider, dn: string): Promise<Set<string> | 'gone' | 'unavailable' | 'provider-off'> {
  let config
  try {
    config = await configFor(client, provider, undefined)
  } catch (err) {
    if (err instanceof ConfigUnavailable || err instanceof LdapConfigError) return 'provider-off'
    throw err
  }
  const found = await lookupGroups(config, dn, { provider: DIALECTS[provider].scope })
  if (found.ok) return new Set(found.groups.map((g) => g.id))
  return found.reason === 'not-found' || found.reason === 'disabled' ? 'gone' : 'unavailable'
}

export function groupMembershipRefreshRequests(client: KubeClient, log: Logger): ExtResource {
  return {
    type: GROUP_MEMBERSHIP_REFRESH_REQUEST,
    verbs: ['create'],
    async create(req: CreateRequest): Promise<GroupMembershipRefreshRequest> {
      const { spec } = parseReview(schema, req.body)
      const users = spec.userId === '*'
        ? (await client.listPage<UserObject>(mgmt('User'), { limit: MAX_USERS })).items
        : [await client.find<UserObject>(mgmt('User'), spec.userId)].filter((u): u is UserObject => u !== undefined)
      const answer = (status: NonNullable<GroupMembershipRefreshRequest['status']>): GroupMembershipRefreshRequest => ({ apiVersion: EXT_API_VERSION, kind: 'GroupMembershipRefreshRequest', spec, status })
      if (spec.userId !== '*' && users.length === 0) {
        return answer({ summary: 'Failed', conditions: [{ type: 'UserRefreshInitiated', status: 'False', message: `user ${spec.userId} does not exist` }], usersChecked: 0, sessionsEnded: 0 })
      }
      if (req.dryRun) return answer({ summary: 'Completed', conditions: [{ type: 'UserRefreshInitiated', status: 'True', message: 'dry run: nothing checked' }], usersChecked: 0, sessionsEnded: 0 })
      let checked = 0
      let ended = 0
      const failures: string[] = []
      for (const user of users) {
        const out = await refreshUser(client, log, user)
        if (out.checked) checked++
        ended += out.ended
        if (out.failure) failures.push(out.failure)
      }
      const failed = failures.length > 0
      return answer({
        summary: failed ? 'Failed' : 'Completed',
        conditions: [
          { type: 'UserRefreshInitiated', status: 'True' },
          { type: 'Completed', status: failed ? 'False' : 'True', ...(failed ? { message: failures.slice(0, 5).join('; ') } : {}) },
        ],
        usersChecked: checked,
        sessionsEnded: ended,
      })
    },
  }
}
