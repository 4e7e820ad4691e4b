// How each directory provider's config is read and whom its principals are named after. OpenLDAP and
// FreeIPA share Rancher's LDAP fields; they differ only in the principal id scheme.
import type { DirectoryProvider } from '../../protocol/api/ext.ts'
import { parseLdapConfig, type LdapConfig } from '../ldap/config.ts'
import type { PrincipalScope } from '../ldap/principal.ts'

export interface Dialect {
  parse(raw: unknown): LdapConfig
  scope: PrincipalScope
}

export const DIALECTS: Partial<Record<DirectoryProvider, Dialect>> = {
  openldap: { parse: parseLdapConfig, scope: 'openldap' },
  freeipa: { parse: parseLdapConfig, scope: 'freeipa' },
}
