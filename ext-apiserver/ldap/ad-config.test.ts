import { describe, expect, it } from 'vitest'
import { bindName, parseAdConfig } from './ad-config.ts'
import { LdapConfigError } from './config.ts'
import { parseLoginName } from './activedirectory.ts'

const minimal = {
  servers: ['dc1.example.org'],
  serviceAccountUsername: 'svc-rancher',
  serviceAccountPassword: 'pw',
  userSearchBase: 'CN=Users,DC=example,DC=org',
}

function refusal(input: unknown): LdapConfigError {
  try {
    parseAdConfig(input)
  } catch (err) {
    if (err instanceof LdapConfigError) return err
    throw err
  }
  throw new Error('accepted')
}

describe('parseAdConfig', () => {
  it("applies Rancher's Active Directory defaults", () => {
    expect(parseAdConfig(minimal)).toEqual({
      kind: 'activedirectory',
      servers: ['dc1.example.org'],
      port: 389,
      tls: false,
      starttls: false,
      certificate: '',
      serviceAccountUsername: 'svc-rancher',
      serviceAccountPassword: 'pw',
      defaultLoginDomain: '',
      userSearchBase: minimal.userSearchBase,
      userSearchAttribute: 'sAMAccountName|sn|givenName',
      userSearchFilter: undefined,
      userLoginAttribute: 'sAMAccountName',
      userObjectClass: 'person',
      userNameAttribute: 'name',
      userMemberAttribute: 'memberOf',
      userEnabledAttribute: 'userAccountControl',
      userDisabledBitMask: 2,
      groupSearchBase: minimal.userSearchBase,
      groupSearchAttribute: 'sAMAccountName',
      groupSearchFilter: undefined,
      groupObjectClass: 'group',
      groupNameAttribute: 'name',
      groupDNAttribute: 'distinguishedName',
      groupMemberUserAttribute: 'distinguishedName',
      groupMemberMappingAttribute: 'member',
      connectionTimeout: 5000,
      nestedGroupMembershipEnabled: false,
    })
  })

  it('names the field it refuses', () => {
    expect(refusal({ ...minimal, serviceAccountUsername: '' }).field).toBe('serviceAccountUsername')
    expect(refusal({ ...minimal, serviceAccountUsername: 'svc\nx' }).field).toBe('serviceAccountUsername')
    expect(refusal({ ...minimal, defaultLoginDomain: 'EXAMPLE\\x' }).field).toBe('defaultLoginDomain')
    expect(refusal({ ...minimal, defaultLoginDomain: 'ex ample' }).field).toBe('defaultLoginDomain')
    expect(refusal({ ...minimal, tls: true, starttls: true }).field).toBe('starttls')
    expect(refusal({ ...minimal, userSearchFilter: '(objectClass=user' }).field).toBe('userSearchFilter')
    expect(refusal({ ...minimal, servers: ['ldaps://dc1'] }).field).toBe('servers[0]')
    expect(refusal([]).field).toBe('config')
  })
})

describe('AD name forms', () => {
  it("binds the service account Rancher's way, keeping a UPN's or a DN's own domain", () => {
    expect(bindName('svc', 'EXAMPLE')).toBe('EXAMPLE\\svc')
    expect(bindName('svc', '')).toBe('svc')
    expect(bindName('OTHER\\svc', 'EXAMPLE')).toBe('OTHER\\svc')
    expect(bindName('svc@example.org', 'EXAMPLE')).toBe('svc@example.org')
    expect(bindName('CN=svc,CN=Users,DC=example,DC=org', 'EXAMPLE')).toBe('CN=svc,CN=Users,DC=example,DC=org')
  })

  it('reads typed login names', () => {
    expect(parseLoginName('alice', '')).toEqual({ kind: 'account', domain: '', account: 'alice' })
    expect(parseLoginName('alice', 'EXAMPLE')).toEqual({ kind: 'account', domain: 'EXAMPLE', account: 'alice' })
    expect(parseLoginName('OTHER\\alice', 'EXAMPLE')).toEqual({ kind: 'account', domain: 'OTHER', account: 'alice' })
    expect(parseLoginName('alice@example.org', 'EXAMPLE')).toEqual({ kind: 'upn', upn: 'alice@example.org' })
    for (const bad of ['\\alice', 'EXAMPLE\\', 'A\\B\\c']) expect(parseLoginName(bad, 'EXAMPLE'), bad).toBeUndefined()
  })
})
