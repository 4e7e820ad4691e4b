import { env } from 'cloudflare:test'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import type { AuthConfigObject } from '../../provider.ts'
import { apiHostProblem, configSchema } from './config.ts'
import { groupPrincipal, SAML_KINDS, spKeyRef, userPrincipal } from './kinds.ts'
import { spendAssertion } from './replay.ts'
import { spMetadata } from './sp-routes.ts'
import { settingsOf, spUrls } from './settings.ts'

const shib = SAML_KINDS.shibboleth
const cr = (fields: Record<string, unknown>) => ({ apiVersion: 'management.cattle.io/v3', kind: 'AuthConfig', metadata: { name: 'shibboleth' }, ...fields }) as AuthConfigObject

describe('SAML config validation on the edge', () => {
  it('takes rancherApiHost as an http(s) origin, plain HTTP for loopback only', () => {
    expect(apiHostProblem('')).toBeNull()
    expect(apiHostProblem('https://drover.example.com')).toBeNull()
    expect(apiHostProblem('https://drover.example.com:8443/')).toBeNull()
    expect(apiHostProblem('http://127.0.0.1:8443')).toBeNull()
    expect(apiHostProblem('http://localhost:8443')).toBeNull()
    expect(apiHostProblem('http://drover.example.com')).toMatch(/HTTPS/)
    expect(apiHostProblem('https://drover.example.com/path')).toMatch(/origin only/)
    expect(apiHostProblem('https://user:pw@drover.example.com')).toMatch(/origin only/)
    expect(apiHostProblem('ftp://drover.example.com')).toMatch(/http\(s\)/)
    expect(apiHostProblem('drover.example.com')).toMatch(/URL/)
  })
  it('checks field types and attribute names', () => {
    expect(v.safeParse(configSchema, { uidField: 'uid', groupsField: 'memberOf', accessMode: 'restricted' }).success).toBe(true)
    expect(v.safeParse(configSchema, { uidField: 'has space' }).success).toBe(false)
    expect(v.safeParse(configSchema, { accessMode: 'open' }).success).toBe(false)
    expect(v.safeParse(configSchema, { idpMetadataContent: 7 }).success).toBe(false)
  })
})

describe('SAML names and SP endpoints', () => {
  it("use Rancher's principal ids, secret name and /v1-saml paths", () => {
    expect(userPrincipal(shib, 'alice')).toBe('shibboleth_user://alice')
    expect(groupPrincipal(SAML_KINDS.keycloak, 'ops')).toBe('keycloak_group://ops')
    expect(spKeyRef(shib)).toBe('cattle-global-data:shibbolethconfig-spkey')
    expect(spUrls(shib, settingsOf(cr({ rancherApiHost: 'https://d.example.com' })), 'https://edge.internal/x')).toEqual({
      entityId: 'https://d.example.com/v1-saml/shibboleth/saml/metadata',
      acsUrl: 'https://d.example.com/v1-saml/shibboleth/saml/acs',
      metadataUrl: 'https://d.example.com/v1-saml/shibboleth/saml/metadata',
    })
    expect(spUrls(shib, settingsOf(cr({ entityID: 'urn:drover' })), 'https://edge.example.com/x').entityId).toBe('urn:drover')
    expect(spUrls(shib, settingsOf(cr({})), 'https://edge.example.com/x').acsUrl).toBe('https://edge.example.com/v1-saml/shibboleth/saml/acs')
  })
  it('escape the entity ID in the SP metadata', () => {
    const xml = spMetadata({ entityId: 'urn:a"><x', acsUrl: 'https://e/acs', metadataUrl: '' }, { spCert: '' })
    expect(xml).toContain('entityID="urn:a&#34;&#62;&#60;x"')
    expect(xml).toContain('AuthnRequestsSigned="false"')
  })
})

describe('assertion replay guard', () => {
  it('accepts an assertion once until it expires, per issuer and ID', async () => {
    const now = Date.now()
    await spendAssertion(env, 'shibboleth', 'https://idp', '_a1', now + 60_000, now)
    await expect(spendAssertion(env, 'shibboleth', 'https://idp', '_a1', now + 60_000, now + 1)).rejects.toThrow(/used before/)
    await spendAssertion(env, 'shibboleth', 'https://other-idp', '_a1', now + 60_000, now)
    await spendAssertion(env, 'shibboleth', 'https://idp', '_a1', now + 120_000, now + 60_001)
  })
})
