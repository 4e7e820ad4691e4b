import { describe, expect, it } from 'vitest'
import { generateServingPki } from '../../infra/dev-cluster/pki.ts'
import { LdapConfigError, parseLdapConfig } from './config.ts'

const minimal = {
  servers: ['ldap.example.org'],
  serviceAccountDistinguishedName: 'cn=reader,dc=example,dc=org',
  serviceAccountPassword: 'pw',
  userSearchBase: 'ou=people,dc=example,dc=org',
}

function refusal(input: unknown): LdapConfigError {
  try {
    parseLdapConfig(input)
  } catch (err) {
    if (err instanceof LdapConfigError) return err
    throw err
  }
  throw new Error('accepted')
}

describe('parseLdapConfig', () => {
  it("applies Rancher's OpenLDAP defaults", () => {
    const c = parseLdapConfig(minimal)
    expect(c).toMatchObject({
      port: 389,
      tls: false,
      starttls: false,
      userLoginAttribute: 'uid',
      userObjectClass: 'inetOrgPerson',
      userNameAttribute: 'cn',
      userMemberAttribute: 'memberOf',
      userEnabledAttribute: '',
      userDisabledBitMask: 0,
      groupSearchBase: minimal.userSearchBase,
      groupObjectClass: 'groupOfNames',
      groupNameAttribute: 'cn',
      groupMemberUserAttribute: 'entryDN',
      groupMemberMappingAttribute: 'member',
      connectionTimeout: 5000,
      nestedGroupMembershipEnabled: false,
    })
  })

  it('names the field it refuses', () => {
    expect(refusal({ ...minimal, servers: [] }).field).toBe('servers')
    expect(refusal({ ...minimal, servers: ['ldaps://ldap.example.org:636'] }).field).toBe('servers[0]')
    expect(refusal({ ...minimal, serviceAccountPassword: '' }).field).toBe('serviceAccountPassword')
    expect(refusal({ ...minimal, userSearchBase: undefined }).field).toBe('userSearchBase')
    expect(refusal({ ...minimal, serviceAccountDistinguishedName: 'reader' }).field).toBe('serviceAccountDistinguishedName')
    expect(refusal({ ...minimal, port: 0 }).field).toBe('port')
    expect(refusal({ ...minimal, port: '389' }).field).toBe('port')
    expect(refusal({ ...minimal, tls: 'yes' }).field).toBe('tls')
    expect(refusal({ ...minimal, tls: true, starttls: true }).field).toBe('starttls')
    expect(refusal({ ...minimal, userLoginAttribute: 'uid)(cn=*' }).field).toBe('userLoginAttribute')
    expect(refusal({ ...minimal, userSearchAttribute: 'uid|s n' }).field).toBe('userSearchAttribute')
    expect(refusal({ ...minimal, userSearchFilter: '(&(uid=a)' }).field).toBe('userSearchFilter')
    expect(refusal({ ...minimal, certificate: 'not a pem' }).field).toBe('certificate')
    expect(refusal({ ...minimal, certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }).field).toBe('certificate')
    expect(refusal({ ...minimal, connectionTimeout: -1 }).field).toBe('connectionTimeout')
    expect(refusal({ ...minimal, nestedGroupMembershipEnabled: 1 }).field).toBe('nestedGroupMembershipEnabled')
    expect(refusal(null).field).toBe('config')
    expect(refusal({ ...minimal, port: 70000 }).message).toMatch(/^port: /)
  })

  it('accepts certificates, filters, IPv6 servers and attribute options', async () => {
    const { caPem } = await generateServingPki('config-test')
    const c = parseLdapConfig({
      ...minimal,
      servers: ['10.0.0.5', '::1', 'ldap-2.example.org'],
      certificate: caPem,
      userSearchFilter: 'employeeType=staff',
      groupMemberMappingAttribute: 'memberUid',
      userEnabledAttribute: 'shadowFlag',
      userDisabledBitMask: 2,
      nestedGroupMembershipEnabled: true,
    })
    expect(c.servers).toEqual(['10.0.0.5', '::1', 'ldap-2.example.org'])
    expect(c.certificate).toContain('BEGIN CERTIFICATE')
    expect(c.userSearchFilter?.toString()).toBe('(employeeType=staff)')
    expect(c.nestedGroupMembershipEnabled).toBe(true)
  })
})
