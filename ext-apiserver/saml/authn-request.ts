// The AuthnRequest of a login, as the HTTP-Redirect binding carries it: deflated into the IdP's SSO URL
// with the RelayState, signed with the SP key when the IdP's metadata asks for signed requests. The ID is
// the edge's (it keeps it in the sealed flow cookie and expects it back as InResponseTo).
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml'
import type { SamlSettings } from './config.ts'

export interface AuthnRequestSpec {
  entityId: string
  acsUrl: string
  requestId: string
  relayState: string
}

export async function authnRequestUrl(settings: SamlSettings, spec: AuthnRequestSpec): Promise<string> {
  const sign = settings.idp.wantAuthnRequestsSigned
  const saml = new SAML({
    entryPoint: settings.idp.ssoUrl,
    idpCert: settings.idp.signingCerts,
    issuer: spec.entityId,
    callbackUrl: spec.acsUrl,
    generateUniqueId: () => spec.requestId,
    // No NameIDPolicy format and no RequestedAuthnContext: the IdP chooses; the uid comes from an attribute.
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    validateInResponseTo: ValidateInResponseTo.never,
    ...(sign ? { privateKey: settings.spKey, signatureAlgorithm: 'sha256' as const } : {}),
  })
  return saml.getAuthorizeUrlAsync(spec.relayState, undefined, {})
}
