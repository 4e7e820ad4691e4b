// Principal search and group refresh for OpenLDAP configs against a real slapd (the AD side is in
// activedirectory.test.ts against Samba).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GROUP_DNS, GROUPS, PEOPLE, SERVICE_ACCOUNT, startSlapd, USERS, type Slapd } from '../../test/support/slapd.ts'
import { parseLdapConfig, type LdapConfig } from './config.ts'
import { lookupGroups, searchPrincipals } from './search.ts'

let slapd: Slapd

beforeAll(async () => {
  slapd = await startSlapd()
})
afterAll(async () => {
  await slapd?.stop()
})

function config(overrides: Record<string, unknown> = {}): LdapConfig {
  return parseLdapConfig({
    servers: ['127.0.0.1'],
    port: slapd.port,
    serviceAccountDistinguishedName: SERVICE_ACCOUNT.dn,
    serviceAccountPassword: SERVICE_ACCOUNT.password,
    userSearchBase: PEOPLE,
    groupSearchBase: GROUPS,
    userEnabledAttribute: 'shadowFlag',
    userDisabledBitMask: 2,
    ...overrides,
  })
}

const ids = (principals: { id: string }[]) => principals.map((p) => p.id).sort()

describe('searchPrincipals against slapd', () => {
  it('finds users by prefix of uid, sn or givenName and groups by substring of cn', async () => {
    const users = await searchPrincipals(config(), 'Lid', 'user')
    expect(users.ok && users.principals).toEqual([{ id: `openldap_user://${USERS.alice.dn}`, principalType: 'user', provider: 'openldap', displayName: 'Alice Liddell', loginName: 'alice' }])
    const groups = await searchPrincipals(config(), 'min', 'group')
    expect(groups.ok && ids(groups.principals)).toEqual([`openldap_group://${GROUP_DNS.admins}`])
    const both = await searchPrincipals(config(), 'd', undefined, { provider: 'freeipa' })
    // Users first (carol by sn Disabled), then the groups with a "d" in their cn.
    expect(both.ok && both.principals[0]?.id).toBe(`freeipa_user://${USERS.carol.dn}`)
    expect(both.ok && ids(both.principals.slice(1))).toEqual([GROUP_DNS.admins, GROUP_DNS.developers].map((dn) => `freeipa_group://${dn}`).sort())
    expect(both.ok && both.principals.length).toBe(3)
  })

  it('matches the name literally and answers nothing for an empty one', async () => {
    for (const name of ['*', '*)(uid=*', 'a*', '']) {
      const found = await searchPrincipals(config(), name)
      expect(found.ok && found.principals, name).toEqual([])
    }
  })

  it('answers a refusal, not a throw, when the service account is refused', async () => {
    const found = await searchPrincipals(config({ serviceAccountPassword: 'wrong' }), 'a')
    expect(found.ok ? 'ok' : found.reason).toBe('misconfigured')
  })
})

describe('lookupGroups against slapd', () => {
  it("reads a user's groups now, nested when enabled", async () => {
    const direct = await lookupGroups(config(), USERS.bob.dn)
    expect(direct.ok && ids(direct.groups)).toEqual([GROUP_DNS.developers, GROUP_DNS.ops].map((dn) => `openldap_group://${dn}`).sort())
    const nested = await lookupGroups(config({ nestedGroupMembershipEnabled: true }), USERS.alice.dn)
    expect(nested.ok && ids(nested.groups)).toEqual([GROUP_DNS.admins, GROUP_DNS.developers, GROUP_DNS.everyone].map((dn) => `openldap_group://${dn}`).sort())
    expect(nested.ok && nested.user.loginName).toBe('alice')
  })

  it('refuses a disabled user, a missing entry and a DN outside the user search base', async () => {
    const results = await Promise.all([
      lookupGroups(config(), USERS.carol.dn),
      lookupGroups(config(), `uid=nobody,${PEOPLE}`),
      lookupGroups(config(), GROUP_DNS.admins),
    ])
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['disabled', 'not-found', 'not-found'])
  })
})
