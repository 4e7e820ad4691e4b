// The SAML config as the extension server checks it before anything is saved: IdP metadata, attribute
// names, and the SP key pair.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSamlSettings } from './config.ts'
import { parseIdpMetadata, SamlConfigError } from './metadata.ts'

let dir: string
let cert: string
let key: string
let otherKey: string
const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'saml-config-'))
  const make = (name: string) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '2', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' })
    return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') }
  }
  ;({ cert, key } = make('sp'))
  otherKey = make('other').key
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const metadata = (opts: { signed?: boolean; binding?: string; certBody?: string; entityId?: string } = {}) => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${opts.entityId ?? 'https://idp.example.com/saml'}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${opts.signed ? ' WantAuthnRequestsSigned="true"' : ''}>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${opts.certBody ?? body(cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>not-a-cert-but-not-for-signing</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/post"/>
    <md:SingleSignOnService Binding="${opts.binding ?? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'}" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`

const problem = (fields: Record<string, unknown>) => {
  try {
    parseSamlSettings({ idpMetadataContent: metadata(), uidField: 'uid', ...fields })
    return null
  } catch (err) {
    expect(err).toBeInstanceOf(SamlConfigError)
    return (err as Error).message
  }
}

describe('IdP metadata', () => {
  it('gives the entity, the HTTP-Redirect SSO URL and the signing certificates only', () => {
    const idp = parseIdpMetadata(metadata({ signed: true }))
    expect(idp).toMatchObject({ entityId: 'https://idp.example.com/saml', ssoUrl: 'https://idp.example.com/sso', wantAuthnRequestsSigned: true })
    expect(idp.signingCerts).toHaveLength(1)
    expect(idp.signingCerts[0]).toContain('BEGIN CERTIFICATE')
  })
  it('finds the IdP inside an EntitiesDescriptor', () => {
    const wrapped = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${metadata().replace(/^<\?xml[^>]*>/, '')}</md:EntitiesDescriptor>`
    expect(parseIdpMetadata(wrapped).entityId).toBe('https://idp.example.com/saml')
  })
  it.each([
    ['', /not well-formed|empty/],
    ['<a>', /not well-formed/],
    ['<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', /DOCTYPE/],
    ['<x xmlns="urn:other"/>', /IDPSSODescriptor/],
  ])('refuses %j', (xml, why) => {
    expect(() => parseIdpMetadata(xml)).toThrow(why)
  })
  it('refuses metadata without a redirect SSO endpoint, an entity ID or a usable signing certificate', () => {
    expect(() => parseIdpMetadata(metadata({ binding: 'urn:x' }))).toThrow(/HTTP-Redirect/)
    expect(() => parseIdpMetadata(metadata({ entityId: '' }))).toThrow(/entityID/)
    expect(() => parseIdpMetadata(metadata({ certBody: 'AAAA' }))).toThrow(/X509Certificate/)
  })
})

describe('SAML settings', () => {
  it('need the metadata and a uid attribute', () => {
    expect(problem({})).toBeNull()
    expect(problem({ idpMetadataContent: '' })).toMatch(/idpMetadataContent is required/)
    expect(problem({ uidField: '' })).toMatch(/uidField is required/)
    expect(problem({ uidField: 'has space' })).toMatch(/uidField must be an attribute name/)
    expect(problem({ groupsField: 7 })).toMatch(/groupsField must be a string/)
  })
  it('take spCert and spKey as a matching pair, required when the IdP wants signed requests', () => {
    expect(problem({ spCert: cert, spKey: key })).toBeNull()
    expect(problem({ spCert: cert })).toMatch(/go together/)
    expect(problem({ spCert: 'x', spKey: key })).toMatch(/spCert is not a PEM certificate/)
    expect(problem({ spCert: cert, spKey: 'x' })).toMatch(/spKey is not a PEM private key/)
    expect(problem({ spCert: cert, spKey: otherKey })).toMatch(/not the key of spCert/)
    expect(problem({ idpMetadataContent: metadata({ signed: true }) })).toMatch(/signed AuthnRequests/)
    expect(problem({ idpMetadataContent: metadata({ signed: true }), spCert: cert, spKey: key })).toBeNull()
  })
})
