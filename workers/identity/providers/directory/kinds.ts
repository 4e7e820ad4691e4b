// The directory providers the edge offers (their binds happen in the extension server, DESIGN.md flow 7):
// Rancher's names for each — AuthConfig id and Norman type, public collection, and the key its
// `testAndApply` body holds the candidate config under.
import type { DirectoryProvider } from '../../../../protocol/api/ext.ts'

export interface DirectoryKind {
  id: DirectoryProvider
  /** `/v3-public/<publicCollection>/<id>`. */
  publicCollection: string
  /** Norman type of the AuthConfig, and (lowercased) the prefix of its password Secret's name. */
  configType: string
  /** Norman type of its public entry. */
  providerType: string
  /** `testAndApply` body: `{ <configKey>: {...}, username, password }`. */
  configKey: string
}

export const DIRECTORY_KINDS: Record<DirectoryProvider, DirectoryKind> = {
  openldap: { id: 'openldap', publicCollection: 'openLdapProviders', configType: 'openLdapConfig', providerType: 'openLdapProvider', configKey: 'ldapConfig' },
  freeipa: { id: 'freeipa', publicCollection: 'freeIpaProviders', configType: 'freeIpaConfig', providerType: 'freeIpaProvider', configKey: 'ldapConfig' },
  activedirectory: { id: 'activedirectory', publicCollection: 'activeDirectoryProviders', configType: 'activeDirectoryConfig', providerType: 'activeDirectoryProvider', configKey: 'activeDirectoryConfig' },
}

export const SECRET_NAMESPACE = 'cattle-global-data'
/** The Secret's data key, after the field it stands for (as Rancher names it). */
export const PASSWORD_KEY = 'serviceaccountpassword'

/** `cattle-global-data:openldapconfig-serviceaccountpassword`: the reference the AuthConfig keeps. */
export function passwordRef(kind: DirectoryKind): string {
  return `${SECRET_NAMESPACE}:${kind.configType.toLowerCase()}-${PASSWORD_KEY}`
}
