// The SP endpoints at Rancher's paths (`/v1-saml/<id>/saml/...`), which an admin registers at the IdP:
// `acs` receives the IdP's form post (login.ts), `metadata` describes the SP (entity ID, ACS, the SP
// certificate when one is configured). Outside /v3-public on purpose: the IdP's post is cross-site, which
// the login CSRF guard there would refuse; the flow cookie and RelayState stand in for it here.
import { Hono } from 'hono'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { SAML_KINDS, type SamlKind } from './kinds.ts'
import { consumeAssertion } from './login.ts'
import { enabledSettings, spUrls, type SamlSettings, type SpUrls } from './settings.ts'

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

export function spMetadata(urls: SpUrls, settings: Pick<SamlSettings, 'spCert'>): string {
  const cert = settings.spCert.replace(/-----[^-]+-----/g, '').replace(/[^A-Za-z0-9+/=]/g, '')
  const key = cert
    ? `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
    : ''
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(urls.entityId)}">
  <md:SPSSODescriptor AuthnRequestsSigned="${cert ? 'true' : 'false'}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${key}
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${xmlEscape(urls.acsUrl)}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`
}

function kindOf(id: string): SamlKind {
  const kind = (SAML_KINDS as Record<string, SamlKind | undefined>)[id]
  if (!kind || !Object.hasOwn(SAML_KINDS, id)) throw new ApiError(404, `no SAML provider "${id.slice(0, 64)}"`, 'NotFound')
  return kind
}

export const samlSpRoutes = new Hono<AppEnv>()
  .post('/:id/saml/acs', (c) => consumeAssertion(c, kindOf(c.req.param('id'))))
  .get('/:id/saml/metadata', async (c) => {
    const kind = kindOf(c.req.param('id'))
    const settings = await enabledSettings(c.var.management.as(EDGE_IDENTITY), kind)
    return c.body(spMetadata(spUrls(kind, settings, c.req.url), settings), 200, { 'content-type': 'application/samlmetadata+xml' })
  })
