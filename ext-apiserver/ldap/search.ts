// Directory reads outside a login, through the service account, for both LDAP and AD configs: the
// principal search behind Rancher's `/v3/principals?action=search` (users by prefix of each user search
// attribute, groups by substring of the group search attribute, as Rancher matches them; each kind
// bounded to SEARCH_LIMIT entries) and a user's groups now, for the periodic group refresh.
import { AndFilter, EqualityFilter, OrFilter, SubstringFilter, type Filter } from 'ldapts'
import { defaultScope, type DirectoryConfig } from './ad-config.ts'
import { groupsOf } from './groups.ts'
import { principal, type LdapPrincipal, type PrincipalScope } from './principal.ts'
import { refuse, type LdapRefusal } from './refusal.ts'
import { withServiceAccount } from './session.ts'
import { isDisabled, memberValue, readUser } from './users.ts'

/** The most entries of each kind one search answers (the server's own limit may be lower). */
export const SEARCH_LIMIT = 100

export interface SearchOptions {
  /** Principal id prefix; by default `activedirectory` for AD configs, `openldap` otherwise. */
  provider?: PrincipalScope
}

export interface PrincipalSearch {
  ok: true
  /** Users first, then groups, each in the server's order. */
  principals: LdapPrincipal[]
}

export interface GroupLookup {
  ok: true
  user: LdapPrincipal
  groups: LdapPrincipal[]
}

function anyOf(attributes: string, match: (attribute: string) => Filter): Filter {
  const filters = attributes.split('|').map(match)
  return filters.length === 1 ? filters[0]! : new OrFilter({ filters })
}

function all(filters: (Filter | undefined)[]): AndFilter {
  return new AndFilter({ filters: filters.filter((f): f is Filter => f !== undefined) })
}


/** Users and/or groups whose names start with (groups: contain) `name`; `name` is matched literally, never parsed. */
export async function searchPrincipals(config: DirectoryConfig, name: string, type?: 'user' | 'group', opts: SearchOptions = {}): Promise<PrincipalSearch | LdapRefusal> {
  const scope = opts.provider ?? defaultScope(config)
  if (name === '') return { ok: true, principals: [] }
  return withServiceAccount(config, 'principal search', async (client) => {
    const principals: LdapPrincipal[] = []
    if (type === undefined || type === 'user') {
      const filter = all([
        new EqualityFilter({ attribute: 'objectClass', value: config.userObjectClass }),
        anyOf(config.userSearchAttribute, (attribute) => new SubstringFilter({ attribute, initial: name })),
        config.userSearchFilter,
      ])
      const attributes = ['objectClass', config.userNameAttribute, config.userLoginAttribute]
      const { searchEntries } = await client.search(config.userSearchBase, { scope: 'sub', filter, attributes, sizeLimit: SEARCH_LIMIT })
      for (const e of searchEntries.slice(0, SEARCH_LIMIT)) principals.push(principal(e, scope, 'user', config.userNameAttribute, config.userLoginAttribute))
    }
    if (type === undefined || type === 'group') {
      const filter = all([
        new EqualityFilter({ attribute: 'objectClass', value: config.groupObjectClass }),
        anyOf(config.groupSearchAttribute, (attribute) => new SubstringFilter({ attribute, any: [name] })),
        config.groupSearchFilter,
      ])
      const attributes = ['objectClass', config.groupNameAttribute]
      const { searchEntries } = await client.search(config.groupSearchBase, { scope: 'sub', filter, attributes, sizeLimit: SEARCH_LIMIT })
      for (const e of searchEntries.slice(0, SEARCH_LIMIT)) principals.push(principal(e, scope, 'group', config.groupNameAttribute, config.groupNameAttribute))
    }
    return { ok: true as const, principals }
  })
}

/** A DN compared loosely: case and the spaces around separators do not matter. */
function normalDn(dn: string): string {
  return dn.toLowerCase().replace(/\s*([,=])\s*/g, '$1').trim()
}

function within(dn: string, base: string): boolean {
  const d = normalDn(dn)
  const b = normalDn(base)
  return d === b || d.endsWith(`,${b}`)
}

/**
 * The user at `userDn` and its groups now (nested ones when the config says so), read by the service
 * account. Refuses a DN outside the user search base or no longer a user (`not-found`) and a disabled
 * account (`disabled`), so a refresh can end the user's sessions.
 */
export async function lookupGroups(config: DirectoryConfig, userDn: string, opts: SearchOptions = {}): Promise<GroupLookup | LdapRefusal> {
  const scope = opts.provider ?? defaultScope(config)
  if (!within(userDn, config.userSearchBase)) return refuse('not-found', `${JSON.stringify(userDn)} is not under the user search base ${config.userSearchBase}`)
  return withServiceAccount(config, 'group lookup', async (client) => {
    const entry = await readUser(client, config, userDn)
    if (!entry) return refuse('not-found', `no ${config.userObjectClass} at ${userDn}`)
    if (isDisabled(config, entry)) return refuse('disabled', `${entry.dn} has ${config.userEnabledAttribute} with the disabled bits ${config.userDisabledBitMask}`)
    const user = principal(entry, scope, 'user', config.userNameAttribute, config.userLoginAttribute)
    const groups = await groupsOf(client, config, entry, memberValue(config, entry), scope)
    return { ok: true as const, user, groups }
  })
}
