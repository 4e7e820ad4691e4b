// A user's groups at login. Direct groups come from the user's member attribute (`memberOf`, kept by the
// memberof overlay) when the entry has it, otherwise from a search for groups listing the user under the
// member mapping attribute. With nested membership on, parents are found the second way, level by level,
// bounded in depth and count: a cycle or a huge tree costs at most MAX_NESTING searches per level and
// stops at MAX_GROUPS groups (fewer groups, never more access). Active Directory resolves the whole chain
// itself in one search (LDAP_MATCHING_RULE_IN_CHAIN), bounded by the same MAX_GROUPS.
import { AndFilter, EqualityFilter, ExtensibleFilter, NoSuchObjectError, type Client, type Entry, type Filter } from 'ldapts'
import { isAdConfig, type DirectoryConfig } from './ad-config.ts'
import { attr, principal, type LdapPrincipal, type PrincipalScope } from './principal.ts'

export const MAX_NESTING = 10
export const MAX_GROUPS = 1000

function groupFilter(config: DirectoryConfig, extra?: Filter): AndFilter {
  const filters: Filter[] = [new EqualityFilter({ attribute: 'objectClass', value: config.groupObjectClass })]
  if (extra) filters.push(extra)
  if (config.groupSearchFilter) filters.push(config.groupSearchFilter)
  return new AndFilter({ filters })
}

/** Groups under the group search base that list `member` under the member mapping attribute. */
async function groupsListing(client: Client, config: DirectoryConfig, member: string): Promise<Entry[]> {
  const { searchEntries } = await client.search(config.groupSearchBase, {
    scope: 'sub',
    filter: groupFilter(config, new EqualityFilter({ attribute: config.groupMemberMappingAttribute, value: member })),
    attributes: ['objectClass', config.groupNameAttribute],
    sizeLimit: MAX_GROUPS,
    paged: { pageSize: 500 },
  })
  return searchEntries
}

/** One group entry by DN, if it exists, is readable and is of the group object class. */
async function readGroup(client: Client, config: DirectoryConfig, dn: string): Promise<Entry | undefined> {
  try {
    const { searchEntries } = await client.search(dn, { scope: 'base', filter: groupFilter(config), attributes: ['objectClass', config.groupNameAttribute] })
    return searchEntries[0]
  } catch (err) {
    if (err instanceof NoSuchObjectError) return undefined
    throw err
  }
}

/** AD's matching rule that follows membership transitively on the server ([MS-ADTS] 3.1.1.3.4.4.3). */
export const IN_CHAIN = '1.2.840.113556.1.4.1941'

/** Every group that holds `userDn`, directly or through other groups, in one search (AD only). */
async function groupsInChain(client: Client, config: DirectoryConfig, userDn: string): Promise<Entry[]> {
  const { searchEntries } = await client.search(config.groupSearchBase, {
    scope: 'sub',
    filter: groupFilter(config, new ExtensibleFilter({ matchType: config.groupMemberMappingAttribute, rule: IN_CHAIN, value: userDn })),
    attributes: ['objectClass', config.groupNameAttribute],
    sizeLimit: MAX_GROUPS,
    paged: { pageSize: 500 },
  })
  return searchEntries.slice(0, MAX_GROUPS)
}

export async function groupsOf(client: Client, config: DirectoryConfig, user: Entry, memberValue: string | undefined, scope: PrincipalScope): Promise<LdapPrincipal[]> {
  if (isAdConfig(config) && config.nestedGroupMembershipEnabled) {
    return (await groupsInChain(client, config, user.dn)).map((e) => principal(e, scope, 'group', config.groupNameAttribute, config.groupNameAttribute))
  }
  const found = new Map<string, Entry>()
  const add = (entries: (Entry | undefined)[]): string[] => {
    const added: string[] = []
    for (const e of entries) {
      if (!e || found.has(e.dn) || found.size >= MAX_GROUPS) continue
      found.set(e.dn, e)
      added.push(e.dn)
    }
    return added
  }
  const memberOf = attr(user, config.userMemberAttribute).slice(0, MAX_GROUPS)
  let level: string[]
  if (memberOf.length > 0) {
    const entries: (Entry | undefined)[] = []
    for (const dn of memberOf) entries.push(await readGroup(client, config, dn))
    level = add(entries)
  } else {
    level = memberValue === undefined ? [] : add(await groupsListing(client, config, memberValue))
  }
  if (config.nestedGroupMembershipEnabled) {
    for (let depth = 0; depth < MAX_NESTING && level.length > 0 && found.size < MAX_GROUPS; depth++) {
      const next: string[] = []
      for (const dn of level) next.push(...add(await groupsListing(client, config, dn)))
      level = next
    }
  }
  return [...found.values()].map((e) => principal(e, scope, 'group', config.groupNameAttribute, config.groupNameAttribute))
}
