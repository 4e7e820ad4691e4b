// Rancher's SAML providers: one generic SAML 2.0 login (Shibboleth's), told apart by their names only —
// AuthConfig id and Norman type, public collection, and the key Rancher's `testAndApply` body holds the
// candidate config under. Principal ids are `<id>_user://<uid>` and `<id>_group://<group>`.
import type { SamlProvider } from '../../../../protocol/api/ext.ts'

export interface SamlKind {
  id: SamlProvider
  /** `/v3-public/<publicCollection>/<id>`. */
  publicCollection: string
  /** Norman type of the AuthConfig, and (lowercased) the prefix of its spKey Secret's name. */
  configType: string
  /** Norman type of its public entry. */
  providerType: string
}

export const SAML_KINDS: Record<SamlProvider, SamlKind> = {
  shibboleth: { id: 'shibboleth', publicCollection: 'shibbolethProviders', configType: 'shibbolethConfig', providerType: 'shibbolethProvider' },
  keycloak: { id: 'keycloak', publicCollection: 'keyCloakProviders', configType: 'keyCloakConfig', providerType: 'keyCloakProvider' },
  okta: { id: 'okta', publicCollection: 'oktaProviders', configType: 'oktaConfig', providerType: 'oktaProvider' },
  ping: { id: 'ping', publicCollection: 'pingProviders', configType: 'pingConfig', providerType: 'pingProvider' },
  adfs: { id: 'adfs', publicCollection: 'adfsProviders', configType: 'adfsConfig', providerType: 'adfsProvider' },
}

export const SECRET_NAMESPACE = 'cattle-global-data'
/** The spKey Secret's data key (the extension server reads the same, ext-apiserver/saml/config.ts). */
export const SP_KEY_KEY = 'spkey'

/** `cattle-global-data:shibbolethconfig-spkey`: the reference the AuthConfig keeps in `spKey`. */
export const spKeyRef = (kind: SamlKind): string => `${SECRET_NAMESPACE}:${kind.configType.toLowerCase()}-${SP_KEY_KEY}`

export const userPrincipal = (kind: SamlKind, uid: string): string => `${kind.id}_user://${uid}`
export const groupPrincipal = (kind: SamlKind, group: string): string => `${kind.id}_group://${group}`
