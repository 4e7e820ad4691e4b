// User entries: the login search, a read by DN for group refresh, and Rancher's disabled-account rule.
// Values go into filters as filter objects, never parsed, so `*`, `(` and `)` in a name are plain characters.
import { AndFilter, EqualityFilter, NoSuchObjectError, SizeLimitExceededError, type Client, type Entry, type Filter } from 'ldapts'
import type { DirectoryConfig } from './ad-config.ts'
import { attr } from './principal.ts'

/** Attributes that name the entry's own DN rather than an attribute stored on it. */
export const DN_ATTRIBUTES = new Set(['dn', 'entrydn', 'distinguishedname'])

function userAttributes(config: DirectoryConfig, extra: string[] = []): string[] {
  const attributes = ['objectClass', config.userLoginAttribute, config.userNameAttribute, config.userMemberAttribute, ...extra]
  if (config.userEnabledAttribute) attributes.push(config.userEnabledAttribute)
  if (!DN_ATTRIBUTES.has(config.groupMemberUserAttribute.toLowerCase())) attributes.push(config.groupMemberUserAttribute)
  return attributes
}

/** Users of the user object class under the search base with `attribute` equal to `value` (at most two: one or ambiguous). */
export async function findUsers(client: Client, config: DirectoryConfig, attribute: string, value: string, extra: string[] = []): Promise<Entry[]> {
  const filters: Filter[] = [new EqualityFilter({ attribute: 'objectClass', value: config.userObjectClass }), new EqualityFilter({ attribute, value })]
  if (config.userSearchFilter) filters.push(config.userSearchFilter)
  // Two is enough to tell one from ambiguous; the server's size limit error counts as ambiguous too.
  const { searchEntries } = await client
    .search(config.userSearchBase, { scope: 'sub', filter: new AndFilter({ filters }), attributes: userAttributes(config, extra), sizeLimit: 2 })
    .catch((err: unknown) => {
      if (err instanceof SizeLimitExceededError) return { searchEntries: [{ dn: '' }, { dn: '' }] as Entry[] }
      throw err
    })
  return searchEntries
}

/** The user entry at `dn` if it exists and is of the user object class (the user search filter is not applied: it governs logins). */
export async function readUser(client: Client, config: DirectoryConfig, dn: string): Promise<Entry | undefined> {
  try {
    const filter = new EqualityFilter({ attribute: 'objectClass', value: config.userObjectClass })
    const { searchEntries } = await client.search(dn, { scope: 'base', filter, attributes: userAttributes(config) })
    return searchEntries[0]
  } catch (err) {
    if (err instanceof NoSuchObjectError) return undefined
    throw err
  }
}

/** Rancher's rule: disabled when the enabled attribute's integer has every bit of the mask set. */
export function isDisabled(config: DirectoryConfig, entry: Entry): boolean {
  if (!config.userEnabledAttribute || config.userDisabledBitMask === 0) return false
  const value = attr(entry, config.userEnabledAttribute)[0]
  if (value === undefined || value === '') return false
  if (!/^-?\d+$/.test(value.trim())) return true // unreadable status: fail closed
  const mask = BigInt(config.userDisabledBitMask)
  return (BigInt(value.trim()) & mask) === mask
}

/** The value groups list for this user: its DN, or an attribute of it (`memberUid` groups list `uid`). */
export function memberValue(config: DirectoryConfig, entry: Entry): string | undefined {
  if (DN_ATTRIBUTES.has(config.groupMemberUserAttribute.toLowerCase())) return entry.dn
  return attr(entry, config.groupMemberUserAttribute)[0]
}
