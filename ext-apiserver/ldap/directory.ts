// An OpenLDAP (or FreeIPA-style) login, in Rancher's steps: bind as the service account, find the user
// by the login attribute, bind as the user's DN with the password, read the user's groups (and their
// parents when nested membership is on), refuse disabled users. Answers Rancher's principal ids
// (`openldap_user://<dn>`, `openldap_group://<dn>`). An Active Directory config goes to activedirectory.ts.
//
// A refusal's `reason` is for logs; callers answer with `outward(refusal)` (refusal.ts).
import { InvalidCredentialsError } from 'ldapts'
import { isAdConfig, type DirectoryConfig } from './ad-config.ts'
import { authenticateAd } from './activedirectory.ts'
import type { LdapConfig } from './config.ts'
import { bindServiceAccount } from './connection.ts'
import { groupsOf } from './groups.ts'
import { principal, type PrincipalScope } from './principal.ts'
import { fromError, refuse, type LdapLogin, type LdapRefusal } from './refusal.ts'
import { withServiceAccount } from './session.ts'
import { findUsers, isDisabled, memberValue } from './users.ts'

export type { LdapPrincipal } from './principal.ts'
export { outward, type LdapLogin, type LdapRefusal, type RefusalReason } from './refusal.ts'

export interface AuthenticateOptions {
  /** Principal id scheme prefix: `openldap` (default for LDAP configs), `freeipa`, or `activedirectory` (default for AD configs). */
  provider?: PrincipalScope
}

/** Logs a user in against the directory (LDAP or AD by the config's kind). Never throws for directory failures: they are refusals too. */
export async function authenticate(config: DirectoryConfig, username: string, password: string, opts: AuthenticateOptions = {}): Promise<LdapLogin | LdapRefusal> {
  if (isAdConfig(config)) return authenticateAd(config, username, password, opts.provider ?? 'activedirectory')
  return authenticateLdap(config, username, password, opts.provider ?? 'openldap')
}

async function authenticateLdap(config: LdapConfig, username: string, password: string, scope: PrincipalScope): Promise<LdapLogin | LdapRefusal> {
  if (password === '') return refuse('invalid-credentials', 'empty password (an unauthenticated bind would succeed)')
  if (username === '') return refuse('not-found', 'empty username')
  return withServiceAccount(config, 'directory read', async (client) => {
    const [entry, ...others] = await findUsers(client, config, config.userLoginAttribute, username)
    if (!entry) return refuse('not-found', `no ${config.userObjectClass} with ${config.userLoginAttribute}=${JSON.stringify(username)} under ${config.userSearchBase}`)
    if (others.length > 0) return refuse('ambiguous', `more than one entry with ${config.userLoginAttribute}=${JSON.stringify(username)}`)
    try {
      await client.bind(entry.dn, password)
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return refuse('invalid-credentials', `wrong password for ${entry.dn}`)
      return fromError(err, 'user bind')
    }
    // Back to the service account: what the user may read of the directory is not the question.
    await bindServiceAccount(client, config)
    if (isDisabled(config, entry)) return refuse('disabled', `${entry.dn} has ${config.userEnabledAttribute} with the disabled bits ${config.userDisabledBitMask}`)
    const user = principal(entry, scope, 'user', config.userNameAttribute, config.userLoginAttribute)
    const groups = await groupsOf(client, config, entry, memberValue(config, entry), scope)
    return { ok: true, user, groups }
  })
}
