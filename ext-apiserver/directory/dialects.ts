// How each directory provider's config is read and whom its principals are named after. OpenLDAP and
// FreeIPA share Rancher's LDAP fields and differ only in the principal id scheme; Active Directory has
// its own fields and defaults.
import type { DirectoryProvider } from '../../protocol/api/ext.ts'
import { parseAdConfig, type DirectoryConfig } from '../ldap/ad-config.ts'
import { parseLdapConfig } from '../ldap/config.ts'
import type { PrincipalScope } from '../ldap/principal.ts'

export interface Dialect {
  parse(raw: unknown): DirectoryConfig
  scope: PrincipalScope
}

export const DIALECTS: Record<DirectoryProvider, Dialect> = {
  openldap: { parse: parseLdapConfig, scope: 'openldap' },
  freeipa: { parse: parseLdapConfig, scope: 'freeipa' },
  activedirectory: { parse: parseAdConfig, scope: 'activedirectory' },
}
