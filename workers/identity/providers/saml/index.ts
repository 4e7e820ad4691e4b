// Rancher's SAML providers (Shibboleth, and Keycloak, Okta, Ping, AD FS by the same login): the IdP's
// signatures checked by the extension server (DESIGN.md flow 7), configured through /v3/authconfigs.
import { Hono } from 'hono'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { AppEnv } from '../../../env.ts'
import { publicLinks, type IdentityProvider, type PrincipalEntry } from '../../provider.ts'
import { samlConfig } from './config.ts'
import { SAML_KINDS, type SamlKind } from './kinds.ts'
import { startLogin } from './login.ts'
import { cachedSettings } from './settings.ts'

export { samlSpRoutes } from './sp-routes.ts'

function samlProvider(kind: SamlKind): IdentityProvider {
  const provider: IdentityProvider = {
    id: kind.id,
    publicCollection: kind.publicCollection,
    async publicEntry(c) {
      try {
        if (!(await cachedSettings(c.var.management.as(EDGE_IDENTITY), kind)).enabled) return null
      } catch {
        return null // the management cluster is unreachable: list what needs no lookup
      }
      const { self } = publicLinks(c, provider)
      return { id: kind.id, type: kind.providerType, baseType: 'authProvider', links: { self, login: `${self}/login` }, actions: {} }
    },
    login: new Hono<AppEnv>().get('/login', (c) => startLogin(c, kind)),
    config: samlConfig(kind),
    /**
     * The IdP offers no directory to search, so, as Rancher's SAML providers do without an LDAP attached,
     * the name asked for is the principal: a user and a group of that name, while the provider is enabled.
     */
    async searchPrincipals(c, name, type) {
      if (!name || name.length > 255 || !(await cachedSettings(c.var.management.as(EDGE_IDENTITY), kind)).enabled) return []
      const out: PrincipalEntry[] = []
      if (type !== 'group') out.push({ id: `${kind.id}_user://${name}`, principalType: 'user', provider: kind.id, loginName: name, displayName: name })
      if (type !== 'user') out.push({ id: `${kind.id}_group://${name}`, principalType: 'group', provider: kind.id, loginName: name, displayName: name })
      return out
    },
  }
  return provider
}

export const shibbolethProvider = samlProvider(SAML_KINDS.shibboleth)
export const keyCloakProvider = samlProvider(SAML_KINDS.keycloak)
export const oktaProvider = samlProvider(SAML_KINDS.okta)
export const pingProvider = samlProvider(SAML_KINDS.ping)
export const adfsProvider = samlProvider(SAML_KINDS.adfs)
