import type { IdentityProvider } from '../provider.ts'
import { activeDirectoryProvider, freeIpaProvider, openLdapProvider } from './directory/index.ts'
import { githubProvider } from './github/index.ts'
import { localProvider } from './local/index.ts'
import { oidcProvider } from './oidc/index.ts'
import { adfsProvider, keyCloakProvider, oktaProvider, pingProvider, shibbolethProvider } from './saml/index.ts'

/** Every identity provider the edge serves, in the order `/v3-public/authProviders` lists them. */
export const PROVIDERS: readonly IdentityProvider[] = [localProvider, oidcProvider, githubProvider, openLdapProvider, freeIpaProvider, activeDirectoryProvider, shibbolethProvider, keyCloakProvider, oktaProvider, pingProvider, adfsProvider]

export function providerById(id: string): IdentityProvider | undefined {
  return PROVIDERS.find((p) => p.id === id)
}
