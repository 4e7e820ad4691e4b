// Rancher's directory providers (OpenLDAP, FreeIPA, Active Directory): logins bound by the extension
// server in the management cluster (DESIGN.md flow 7), configured through /v3/authconfigs.
import type { DirectoryPrincipal } from '../../../../protocol/api/ext.ts'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import { ApiError } from '../../../errors.ts'
import { publicLinks, type IdentityProvider } from '../../provider.ts'
import { directoryConfig } from './config.ts'
import { DIRECTORY_KINDS, type DirectoryKind } from './kinds.ts'
import { directoryLogin } from './login.ts'
import { principalReview } from './reviews.ts'
import { cachedSettings } from './settings.ts'

function directoryProvider(kind: DirectoryKind): IdentityProvider {
  const provider: IdentityProvider = {
    id: kind.id,
    publicCollection: kind.publicCollection,
    async publicEntry(c) {
      try {
        if (!(await cachedSettings(c.var.management.as(EDGE_IDENTITY), kind)).enabled) return null
      } catch {
        return null // the management cluster is unreachable: list what needs no lookup
      }
      const { self, login } = publicLinks(c, provider)
      return { id: kind.id, type: kind.providerType, baseType: 'authProvider', links: { self }, actions: { login } }
    },
    login: directoryLogin(kind),
    config: directoryConfig(kind),
    async searchPrincipals(c, name, type) {
      const edge = c.var.management.as(EDGE_IDENTITY)
      if (!name || !(await cachedSettings(edge, kind)).enabled) return []
      const status = await principalReview(edge, { provider: kind.id, name, ...(type ? { principalType: type } : {}) })
      if (status.refusal) throw new ApiError(status.refusal === 'Unavailable' ? 503 : 500, `auth provider ${kind.id}: principal search failed: ${status.message ?? status.refusal}`)
      const own = (p: DirectoryPrincipal) => p.id.startsWith(`${kind.id}_${p.principalType}://`)
      return status.principals.filter(own).map((p) => ({ id: p.id, principalType: p.principalType, provider: kind.id, loginName: p.loginName, displayName: p.displayName }))
    },
  }
  return provider
}

export const openLdapProvider = directoryProvider(DIRECTORY_KINDS.openldap)
export const freeIpaProvider = directoryProvider(DIRECTORY_KINDS.freeipa)
export const activeDirectoryProvider = directoryProvider(DIRECTORY_KINDS.activedirectory)
