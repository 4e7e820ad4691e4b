// Local users: usernames and password hashes kept in the management cluster (users.ts, password.ts).
import { isForbidden, mgmt } from '../../../../protocol/kube/index.ts'
import { mgmtObject } from '../../../mgmt/management.ts'
import { userKube } from '../../../v3/context.ts'
import { publicLinks, type IdentityProvider } from '../../provider.ts'
import { localLogin } from './login.ts'
import { LOCAL_PROVIDER, localPrincipal, type UserObject } from './users.ts'

/** Principals a search returns at most. */
const MAX_RESULTS = 100

export const localProvider: IdentityProvider = {
  id: LOCAL_PROVIDER,
  publicCollection: 'localProviders',
  // Always there, always enabled: the bootstrap admin logs in here.
  async publicEntry(c) {
    const { self, login } = publicLinks(c, localProvider)
    return { id: LOCAL_PROVIDER, type: 'localProvider', baseType: 'authProvider', links: { self }, actions: { login } }
  },
  login: localLogin,
  config: {
    type: 'localConfig',
    // Needs no AuthConfig object, and has nothing to configure.
    fallback: () => mgmtObject('AuthConfig', { metadata: { name: LOCAL_PROVIDER }, type: 'localConfig', enabled: true, accessMode: 'unrestricted' }),
    present: () => ({}),
  },
  /**
   * Users whose username or display name contains `name`, if the caller may list users (RBAC decides;
   * otherwise this provider has nothing to show them, and the other providers still answer).
   */
  async searchPrincipals(c, name, type) {
    if (type === 'group') return [] // local users have no groups
    const needle = name.toLowerCase()
    const matches = (u: UserObject) => !needle || u.username?.toLowerCase().includes(needle) || u.displayName?.toLowerCase().includes(needle)
    // Page by page, stopping at MAX_RESULTS: an isolate never holds every User of a large directory.
    const found: UserObject[] = []
    try {
      for await (const page of userKube(c).pages<UserObject>(mgmt('User'))) {
        found.push(...page.items.filter(matches))
        if (found.length >= MAX_RESULTS) break
      }
    } catch (err) {
      if (isForbidden(err)) return []
      throw err
    }
    return found.slice(0, MAX_RESULTS).map((u) => ({
      id: localPrincipal(u.metadata.name ?? ''),
      principalType: 'user' as const,
      provider: LOCAL_PROVIDER,
      ...(u.username ? { loginName: u.username } : {}),
      ...(u.displayName ? { displayName: u.displayName } : {}),
    }))
  },
}
