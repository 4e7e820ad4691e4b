// The IdP's metadata (Rancher's `idpMetadataContent`, pasted by an admin): its entity ID, the HTTP-Redirect
// SSO endpoint, whether it wants signed AuthnRequests, and the certificates its signatures must chain to
// (the keys themselves: SAML trusts the metadata, not a CA). Parsed with a DOM parser that refuses DTDs,
// so no entity expansion; every refusal names what is missing.
import { X509Certificate } from 'node:crypto'
import { DOMParser, type Element } from '@xmldom/xmldom'

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata'
const DS = 'http://www.w3.org/2000/09/xmldsig#'
export const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
const MAX_METADATA_CHARS = 1 << 20

export interface IdpMetadata {
  entityId: string
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoUrl: string
  wantAuthnRequestsSigned: boolean
  /** PEM certificates whose keys may sign responses and assertions. */
  signingCerts: string[]
}

export class SamlConfigError extends Error {}

const bad = (msg: string) => new SamlConfigError(`idpMetadataContent: ${msg}`)

function parseXml(xml: string): Element {
  if (xml.length > MAX_METADATA_CHARS) throw bad('larger than 1 MiB')
  if (/<!DOCTYPE/i.test(xml)) throw bad('a DOCTYPE is not allowed')
  let root: Element | null
  try {
    root = new DOMParser({ onError: (level, msg) => { if (level !== 'warning') throw new Error(msg) } }).parseFromString(xml, 'text/xml').documentElement
  } catch (err) {
    throw bad(`not well-formed XML (${String((err as Error).message).slice(0, 120)})`)
  }
  if (!root) throw bad('empty')
  return root
}

const children = (el: Element, ns: string, name: string): Element[] => Array.from(el.getElementsByTagNameNS(ns, name))

/** PEM of a base64 certificate body, checked to be an X.509 certificate. */
export function certPem(base64: string): string {
  const body = base64.replace(/\s+/g, '')
  const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`
  new X509Certificate(pem)
  return pem
}

/** The IdP described by `xml` (an EntityDescriptor, or the first IdP in an EntitiesDescriptor). */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const root = parseXml(xml)
  const entities = root.localName === 'EntityDescriptor' && root.namespaceURI === MD ? [root] : children(root, MD, 'EntityDescriptor')
  const entity = entities.find((e) => children(e, MD, 'IDPSSODescriptor').length > 0)
  if (!entity) throw bad('no EntityDescriptor with an IDPSSODescriptor')
  const entityId = entity.getAttribute('entityID') ?? ''
  if (!entityId) throw bad('the EntityDescriptor has no entityID')
  const idp = children(entity, MD, 'IDPSSODescriptor')[0]!
  const sso = children(idp, MD, 'SingleSignOnService').find((s) => s.getAttribute('Binding') === REDIRECT_BINDING)
  const ssoUrl = sso?.getAttribute('Location') ?? ''
  if (!ssoUrl) throw bad('no SingleSignOnService with the HTTP-Redirect binding')
  let url: URL
  try {
    url = new URL(ssoUrl)
  } catch {
    throw bad('the SingleSignOnService Location is not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('the SingleSignOnService Location must be an http(s) URL')
  const signingCerts: string[] = []
  for (const key of children(idp, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use')
    if (use && use !== 'signing') continue
    for (const cert of children(key, DS, 'X509Certificate')) {
      try {
        signingCerts.push(certPem(cert.textContent ?? ''))
      } catch {
        throw bad('a KeyDescriptor holds an X509Certificate that does not parse')
      }
    }
  }
  if (signingCerts.length === 0) throw bad('the IDPSSODescriptor names no signing certificate')
  return { entityId, ssoUrl, wantAuthnRequestsSigned: idp.getAttribute('WantAuthnRequestsSigned') === 'true', signingCerts }
}
