// An Active Directory login. Users type `sAMAccountName`, `DOMAIN\sAMAccountName` or a userPrincipalName
// (`name@domain`); a bare name gets `defaultLoginDomain`, as Rancher binds it. Rancher binds what was typed
// and then searches sAMAccountName under the base, which can pair one domain's password with another
// domain's same-named entry. Here the entry is found first (by the service account), and the password
// must open that entry's DN: a typed or default domain is bound as `DOMAIN\<entry's sAMAccountName>` first,
// so a domain AD does not know (or a wrong password) fails there, then the DN bind ties the login to the
// entry found. Principal ids are Rancher's `activedirectory_user://<dn>` and `activedirectory_group://<dn>`.
import { InvalidCredentialsError, type Client, type Entry } from 'ldapts'
import type { AdConfig } from './ad-config.ts'
import { bindServiceAccount } from './connection.ts'
import { groupsOf } from './groups.ts'
import { attr, principal, type PrincipalScope } from './principal.ts'
import { fromError, refuse, type LdapLogin, type LdapRefusal } from './refusal.ts'
import { withServiceAccount } from './session.ts'
import { findUsers, isDisabled } from './users.ts'

/** How a typed login name reads: a UPN, or an account name with the domain typed or defaulted (`''`: none). */
export type AdLoginName = { kind: 'upn'; upn: string } | { kind: 'account'; domain: string; account: string }

/** Reads a typed name; undefined when it cannot name anyone (`\alice`, `DOMAIN\`, two backslashes). */
export function parseLoginName(username: string, defaultLoginDomain: string): AdLoginName | undefined {
  const slash = username.indexOf('\\')
  if (slash >= 0) {
    const domain = username.slice(0, slash)
    const account = username.slice(slash + 1)
    if (!domain || !account || account.includes('\\')) return undefined
    return { kind: 'account', domain, account }
  }
  if (username.includes('@')) return { kind: 'upn', upn: username }
  return { kind: 'account', domain: defaultLoginDomain, account: username }
}

/** Binds `name`; false for a wrong password (or unknown name), a throw for anything else. */
async function opens(client: Client, name: string, password: string): Promise<boolean> {
  try {
    await client.bind(name, password)
    return true
  } catch (err) {
    if (err instanceof InvalidCredentialsError) return false
    throw err
  }
}

async function find(client: Client, config: AdConfig, login: AdLoginName): Promise<{ entries: Entry[]; what: string }> {
  const [attribute, value] = login.kind === 'upn' ? ['userPrincipalName', login.upn] : [config.userLoginAttribute, login.account]
  // sAMAccountName is read for the domain bind even when logins go by another attribute.
  return { entries: await findUsers(client, config, attribute, value, ['sAMAccountName']), what: `${attribute}=${JSON.stringify(value)}` }
}

export async function authenticateAd(config: AdConfig, username: string, password: string, scope: PrincipalScope): Promise<LdapLogin | LdapRefusal> {
  if (password === '') return refuse('invalid-credentials', 'empty password (an unauthenticated bind would succeed)')
  const login = parseLoginName(username, config.defaultLoginDomain)
  if (!login) return refuse('not-found', `${JSON.stringify(username)} is not a login name (name, DOMAIN\\name or name@domain)`)
  return withServiceAccount(config, 'directory read', async (client) => {
    const { entries, what } = await find(client, config, login)
    const [entry, ...others] = entries
    if (!entry) return refuse('not-found', `no ${config.userObjectClass} with ${what} under ${config.userSearchBase}`)
    if (others.length > 0) return refuse('ambiguous', `more than one entry with ${what}`)
    try {
      const sam = attr(entry, 'sAMAccountName')[0]
      const domainBind = login.kind === 'account' && login.domain ? `${login.domain}\\${sam ?? login.account}` : undefined
      const ok = (domainBind === undefined || (await opens(client, domainBind, password))) && (await opens(client, entry.dn, password))
      if (!ok) {
        // AD refuses every bind of a disabled account, so the password of one cannot be checked.
        if (isDisabled(config, entry)) return refuse('disabled', `${entry.dn} is disabled (${config.userEnabledAttribute} has the bits ${config.userDisabledBitMask}); its password was not verified`)
        return refuse('invalid-credentials', `wrong password for ${domainBind ?? entry.dn}${domainBind ? ` / ${entry.dn}` : ''}`)
      }
    } catch (err) {
      return fromError(err, 'user bind')
    }
    await bindServiceAccount(client, config)
    if (isDisabled(config, entry)) return refuse('disabled', `${entry.dn} has ${config.userEnabledAttribute} with the disabled bits ${config.userDisabledBitMask}`)
    const user = principal(entry, scope, 'user', config.userNameAttribute, config.userLoginAttribute)
    const groups = await groupsOf(client, config, entry, entry.dn, scope)
    return { ok: true, user, groups }
  })
}
