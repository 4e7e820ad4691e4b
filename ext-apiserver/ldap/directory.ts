// An OpenLDAP (or FreeIPA-style) login, in Rancher's steps: bind as the service account, find the user
// by the login attribute, bind as the user's DN with the password, read the user's groups (and their
// parents when nested membership is on), refuse disabled users. Answers Rancher's principal ids
// (`openldap_user://<dn>`, `openldap_group://<dn>`).
//
// A refusal's `reason` is for logs; callers answer with `outward(refusal)`, which says the same for an
// unknown user, a wrong password and a disabled account, so the login endpoint tells an attacker nothing
// about which names exist.
import { AndFilter, EqualityFilter, InvalidCredentialsError, SizeLimitExceededError, type Client, type Entry, type Filter } from 'ldapts'
import type { LdapConfig } from './config.ts'
import { close, connectAsServiceAccount, DirectoryUnreachableError, isTransportError } from './connection.ts'
import { groupsOf } from './groups.ts'
import { attr, principal, type LdapPrincipal, type PrincipalScope } from './principal.ts'

export type { LdapPrincipal } from './principal.ts'

export type RefusalReason =
  /** The password is empty or does not match (an empty one is refused before any bind: LDAP would treat it as an unauthenticated bind and "succeed"). */
  | 'invalid-credentials'
  /** No entry of the user object class has this login name under the search base. */
  | 'not-found'
  /** More than one entry has this login name: the directory is ambiguous, nobody is logged in. */
  | 'ambiguous'
  /** The password matched, but the enabled attribute has all bits of the disabled mask set. */
  | 'disabled'
  /** No configured server could be reached or proved its certificate, or an operation timed out. */
  | 'unreachable'
  /** The directory answered but refused the service account or a search: the authconfig is wrong. */
  | 'misconfigured'

export interface LdapRefusal {
  ok: false
  reason: RefusalReason
  /** What happened, for logs only (never sent to the one logging in). */
  detail: string
}

export interface LdapLogin {
  ok: true
  user: LdapPrincipal
  groups: LdapPrincipal[]
}

export interface AuthenticateOptions {
  /** Principal id scheme prefix: `openldap` (default) or `freeipa`, as Rancher names its LDAP providers. */
  provider?: PrincipalScope
}

/** Attributes that name the entry's own DN rather than an attribute stored on it. */
const DN_ATTRIBUTES = new Set(['dn', 'entrydn', 'distinguishedname'])

/** What a login endpoint answers for a refusal: one message for every reason that concerns the user. */
export function outward(refusal: LdapRefusal): { status: 401 | 503 | 500; message: string } {
  switch (refusal.reason) {
    case 'invalid-credentials':
    case 'not-found':
    case 'ambiguous':
    case 'disabled':
      return { status: 401, message: 'authentication failed' }
    case 'unreachable':
      return { status: 503, message: 'the directory server cannot be reached' }
    case 'misconfigured':
      return { status: 500, message: 'the directory refused the configured service account or search' }
  }
}

function refuse(reason: RefusalReason, detail: string): LdapRefusal {
  return { ok: false, reason, detail }
}

/** Logs a user in against the directory. Never throws for directory failures: they are refusals too. */
export async function authenticate(config: LdapConfig, username: string, password: string, opts: AuthenticateOptions = {}): Promise<LdapLogin | LdapRefusal> {
  const scope = opts.provider ?? 'openldap'
  if (password === '') return refuse('invalid-credentials', 'empty password (an unauthenticated bind would succeed)')
  if (username === '') return refuse('not-found', 'empty username')
  let client: Client
  try {
    client = await connectAsServiceAccount(config)
  } catch (err) {
    return fromError(err, 'service account bind')
  }
  try {
    const [entry, ...others] = await findUser(client, config, username)
    if (!entry) return refuse('not-found', `no ${config.userObjectClass} with ${config.userLoginAttribute}=${JSON.stringify(username)} under ${config.userSearchBase}`)
    if (others.length > 0) return refuse('ambiguous', `more than one entry with ${config.userLoginAttribute}=${JSON.stringify(username)}`)
    try {
      await client.bind(entry.dn, password)
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return refuse('invalid-credentials', `wrong password for ${entry.dn}`)
      return fromError(err, 'user bind')
    }
    // Back to the service account: what the user may read of the directory is not the question.
    await client.bind(config.serviceAccountDistinguishedName, config.serviceAccountPassword)
    if (isDisabled(config, entry)) return refuse('disabled', `${entry.dn} has ${config.userEnabledAttribute} with the disabled bits ${config.userDisabledBitMask}`)
    const user = principal(entry, scope, 'user', config.userNameAttribute, config.userLoginAttribute)
    const groups = await groupsOf(client, config, entry, memberValue(config, entry), scope)
    return { ok: true, user, groups }
  } catch (err) {
    return fromError(err, 'directory read')
  } finally {
    await close(client)
  }
}

function fromError(err: unknown, step: string): LdapRefusal {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  if (err instanceof DirectoryUnreachableError || isTransportError(err)) return refuse('unreachable', `${step}: ${message}`)
  return refuse('misconfigured', `${step}: ${message}`)
}

/** The login search: the value goes in as a filter object, never parsed, so `*` and `)(` are plain characters. */
async function findUser(client: Client, config: LdapConfig, username: string): Promise<Entry[]> {
  const filters: Filter[] = [
    new EqualityFilter({ attribute: 'objectClass', value: config.userObjectClass }),
    new EqualityFilter({ attribute: config.userLoginAttribute, value: username }),
  ]
  if (config.userSearchFilter) filters.push(config.userSearchFilter)
  const attributes = ['objectClass', config.userLoginAttribute, config.userNameAttribute, config.userMemberAttribute]
  if (config.userEnabledAttribute) attributes.push(config.userEnabledAttribute)
  if (!DN_ATTRIBUTES.has(config.groupMemberUserAttribute.toLowerCase())) attributes.push(config.groupMemberUserAttribute)
  // Two is enough to tell one from ambiguous; the server's size limit error counts as ambiguous too.
  const { searchEntries } = await client.search(config.userSearchBase, { scope: 'sub', filter: new AndFilter({ filters }), attributes, sizeLimit: 2 }).catch((err: unknown) => {
    if (err instanceof SizeLimitExceededError) return { searchEntries: [{ dn: '' }, { dn: '' }] as Entry[] }
    throw err
  })
  return searchEntries
}

/** Rancher's rule: disabled when the enabled attribute's integer has every bit of the mask set. */
function isDisabled(config: LdapConfig, entry: Entry): boolean {
  if (!config.userEnabledAttribute || config.userDisabledBitMask === 0) return false
  const value = attr(entry, config.userEnabledAttribute)[0]
  if (value === undefined || value === '') return false
  if (!/^-?\d+$/.test(value.trim())) return true // unreadable status: fail closed
  const mask = BigInt(config.userDisabledBitMask)
  return (BigInt(value.trim()) & mask) === mask
}

/** The value groups list for this user: its DN, or an attribute of it (`memberUid` groups list `uid`). */
function memberValue(config: LdapConfig, entry: Entry): string | undefined {
  if (DN_ATTRIBUTES.has(config.groupMemberUserAttribute.toLowerCase())) return entry.dn
  return attr(entry, config.groupMemberUserAttribute)[0]
}
