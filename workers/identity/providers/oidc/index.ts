// Generic OpenID Connect (authorization code + PKCE), Rancher's `genericoidc`.
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import { publicLinks, type IdentityProvider, type PrincipalEntry } from '../../provider.ts'
import { CONFIG_TYPE, GROUP_PRINCIPAL_PREFIX, PROVIDER, PUBLIC_COLLECTION, USER_PRINCIPAL_PREFIX } from './config.ts'
import { presentConfig, writeConfig } from './config-write.ts'
import { cachedSettings, oidcLogin } from './login.ts'

async function enabled(c: Parameters<IdentityProvider['publicEntry']>[0]): Promise<boolean> {
  return (await cachedSettings(c.var.management.as(EDGE_IDENTITY)))?.enabled ?? false
}

export const oidcProvider: IdentityProvider = {
  id: PROVIDER,
  publicCollection: PUBLIC_COLLECTION,
  async publicEntry(c) {
    try {
      if (!(await enabled(c))) return null
    } catch {
      return null // the management cluster is unreachable: list what needs no lookup
    }
    const { self, login } = publicLinks(c, oidcProvider)
    return { id: PROVIDER, type: 'genericOIDCProvider', baseType: 'authProvider', redirectUrl: `${self}/login`, links: { self }, actions: { login } }
  },
  login: oidcLogin,
  config: {
    type: CONFIG_TYPE,
    present: presentConfig,
    write: writeConfig,
    actions: { disable: async (c) => (await writeConfig(c, { enabled: false })).saved },
  },
  /**
   * An OpenID provider offers no directory to search, so, as Rancher's generic OIDC does, the name asked
   * for is the principal: a user subject and a group of that name, while the provider is enabled.
   */
  async searchPrincipals(c, name, type) {
    if (!name || name.length > 255 || !(await enabled(c))) return []
    const out: PrincipalEntry[] = []
    if (type !== 'group') out.push({ id: `${USER_PRINCIPAL_PREFIX}${name}`, principalType: 'user', provider: PROVIDER, loginName: name, displayName: name })
    if (type !== 'user') out.push({ id: `${GROUP_PRINCIPAL_PREFIX}${name}`, principalType: 'group', provider: PROVIDER, loginName: name, displayName: name })
    return out
  },
}
