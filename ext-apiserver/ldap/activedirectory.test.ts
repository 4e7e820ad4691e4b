// Active Directory logins, principal search and group refresh against a real Samba AD DC
// (test/support/samba.ts), over LDAPS and StartTLS: Samba refuses simple binds on plain LDAP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMINISTRATOR, BASE_DN, GROUP_DNS, NETBIOS_DOMAIN, REALM, SERVICE_ACCOUNT, startSamba, USERS, USERS_DN, type SambaDc } from '../../test/support/samba.ts'
import { parseAdConfig, type AdConfig } from './ad-config.ts'
import { authenticate, outward, type LdapLogin, type LdapRefusal } from './directory.ts'
import { lookupGroups, searchPrincipals } from './search.ts'

let dc: SambaDc

beforeAll(async () => {
  dc = await startSamba()
}, 180_000)
afterAll(async () => {
  await dc?.stop()
})

const UPN = (sam: string) => `${sam}@${REALM.toLowerCase()}`

function config(overrides: Record<string, unknown> = {}): AdConfig {
  return parseAdConfig({
    servers: [dc.host],
    port: 636,
    tls: true,
    certificate: dc.caPem,
    serviceAccountUsername: `${NETBIOS_DOMAIN}\\${SERVICE_ACCOUNT.sam}`,
    serviceAccountPassword: SERVICE_ACCOUNT.password,
    userSearchBase: USERS_DN,
    groupSearchBase: BASE_DN,
    connectionTimeout: 5000,
    ...overrides,
  })
}

function loggedIn(result: LdapLogin | LdapRefusal): LdapLogin {
  if (!result.ok) throw new Error(`refused: ${result.reason}: ${result.detail}`)
  return result
}

function refused(result: LdapLogin | LdapRefusal): LdapRefusal {
  if (result.ok) throw new Error(`logged in as ${result.user.id}`)
  return result
}

const ids = (principals: { id: string }[]) => principals.map((p) => p.id).sort()
const groupIds = (...dns: string[]) => dns.map((dn) => `activedirectory_group://${dn}`).sort()

describe('Active Directory login against Samba', () => {
  it("logs in by sAMAccountName with Rancher's activedirectory principal ids and the direct groups", async () => {
    const login = loggedIn(await authenticate(config(), 'alice', USERS.alice.password))
    expect(login.user).toEqual({
      id: `activedirectory_user://${USERS.alice.dn}`,
      principalType: 'user',
      provider: 'activedirectory',
      displayName: 'Alice Liddell',
      loginName: 'alice',
    })
    expect(login.groups).toEqual([
      { id: `activedirectory_group://${GROUP_DNS.developers}`, principalType: 'group', provider: 'activedirectory', displayName: 'developers', loginName: 'developers' },
    ])
  })

  it('logs in as DOMAIN\\name, as a userPrincipalName, and applies defaultLoginDomain to a bare name', async () => {
    for (const [username, overrides] of [
      [`${NETBIOS_DOMAIN}\\alice`, {}],
      [`${NETBIOS_DOMAIN.toLowerCase()}\\alice`, {}],
      [UPN('alice'), {}],
      ['alice', { defaultLoginDomain: NETBIOS_DOMAIN }],
      [UPN('alice'), { defaultLoginDomain: NETBIOS_DOMAIN }],
    ] as const) {
      const login = loggedIn(await authenticate(config(overrides), username, USERS.alice.password))
      expect(login.user.id, username).toBe(`activedirectory_user://${USERS.alice.dn}`)
    }
  })

  it('refuses a domain AD does not know, typed or as the default login domain', async () => {
    expect(refused(await authenticate(config(), 'NOSUCHDOMAIN\\alice', USERS.alice.password)).reason).toBe('invalid-credentials')
    expect(refused(await authenticate(config({ defaultLoginDomain: 'NOSUCHDOMAIN' }), 'alice', USERS.alice.password)).reason).toBe('invalid-credentials')
  })

  it('binds the service account as a UPN or with the default login domain too', async () => {
    for (const overrides of [{ serviceAccountUsername: UPN(SERVICE_ACCOUNT.sam) }, { serviceAccountUsername: SERVICE_ACCOUNT.sam, defaultLoginDomain: NETBIOS_DOMAIN }]) {
      expect(loggedIn(await authenticate(config(overrides), 'bob', USERS.bob.password)).user.loginName).toBe('bob')
    }
    const wrong = refused(await authenticate(config({ serviceAccountPassword: 'Wrong-Secret-1' }), 'bob', USERS.bob.password))
    expect(wrong.reason).toBe('misconfigured')
  })

  it('follows nested groups with the in-chain matching rule when enabled', async () => {
    const nested = config({ nestedGroupMembershipEnabled: true })
    expect(ids(loggedIn(await authenticate(nested, 'alice', USERS.alice.password)).groups)).toEqual(groupIds(GROUP_DNS.developers, GROUP_DNS.admins, GROUP_DNS.everyone))
    expect(ids(loggedIn(await authenticate(nested, 'bob', USERS.bob.password)).groups)).toEqual(groupIds(GROUP_DNS.developers, GROUP_DNS.admins, GROUP_DNS.everyone, GROUP_DNS.ops))
    // Off: memberOf only.
    expect(ids(loggedIn(await authenticate(config(), 'bob', USERS.bob.password)).groups)).toEqual(groupIds(GROUP_DNS.developers, GROUP_DNS.ops))
  })

  it('refuses wrong and empty passwords, unknown and disabled users, all with the same outward answer', async () => {
    const wrong = refused(await authenticate(config(), 'alice', 'Not-Her-Password-1'))
    const wrongUpn = refused(await authenticate(config(), UPN('alice'), 'Not-Her-Password-1'))
    const empty = refused(await authenticate(config(), 'alice', ''))
    const unknown = refused(await authenticate(config(), 'mallory', 'whatever'))
    const disabled = refused(await authenticate(config(), 'carol', USERS.carol.password))
    expect([wrong, wrongUpn, empty, unknown, disabled].map((r) => r.reason)).toEqual(['invalid-credentials', 'invalid-credentials', 'invalid-credentials', 'not-found', 'disabled'])
    for (const r of [wrong, wrongUpn, empty, unknown, disabled]) expect(outward(r)).toEqual({ status: 401, message: 'authentication failed' })
  })

  it('refuses names that cannot name anyone', async () => {
    for (const username of ['', '\\alice', `${NETBIOS_DOMAIN}\\`, `${NETBIOS_DOMAIN}\\x\\alice`]) {
      expect(refused(await authenticate(config(), username, USERS.alice.password)).reason, username).toBe('not-found')
    }
  })

  it('treats filter syntax in the username as plain characters', async () => {
    // Administrator's own password: a filter built by pasting would find Administrator for `admin*` or `*`.
    for (const username of ['*', 'admin*', 'Admin*', '*)(sAMAccountName=*', 'Administrator)(sAMAccountName=*', '*)(|(sAMAccountName=*', `${NETBIOS_DOMAIN}\\admin*`, `admin*@${REALM.toLowerCase()}`, `*@${REALM.toLowerCase()}`]) {
      expect(refused(await authenticate(config(), username, ADMINISTRATOR.password)).reason, username).toBe('not-found')
    }
    // The same password does log the real name in: the refusals above are about the name alone.
    expect(loggedIn(await authenticate(config(), ADMINISTRATOR.sam, ADMINISTRATOR.password)).user.loginName).toBe(ADMINISTRATOR.sam)
  })

  it('logs in with StartTLS on port 389', async () => {
    const login = loggedIn(await authenticate(config({ tls: false, starttls: true, port: 389 }), 'alice', USERS.alice.password))
    expect(login.user.id).toBe(`activedirectory_user://${USERS.alice.dn}`)
  })

  it('gets no simple bind over plain LDAP: Samba requires transport encryption', async () => {
    const result = refused(await authenticate(config({ tls: false, port: 389 }), 'alice', USERS.alice.password))
    expect(result.reason).toBe('misconfigured')
    expect(result.detail).toMatch(/encryption required/i)
  })
})

describe('principal search and group refresh against Samba', () => {
  it('finds users by prefix of sAMAccountName, sn or givenName, and groups by name', async () => {
    const all = await searchPrincipals(config(), 'Li')
    if (!all.ok) throw new Error(all.detail)
    // Users first (alice by sn Liddell), then groups, which match anywhere in the name as Rancher's do.
    const [first, ...rest] = all.principals
    expect(first?.id).toBe(`activedirectory_user://${USERS.alice.dn}`)
    expect(rest.length).toBeGreaterThan(0)
    for (const p of rest) expect(p.principalType === 'group' && p.displayName.toLowerCase().includes('li'), p.id).toBe(true)
    const groups = await searchPrincipals(config(), 'dev', 'group')
    if (!groups.ok) throw new Error(groups.detail)
    expect(groups.principals).toEqual([{ id: `activedirectory_group://${GROUP_DNS.developers}`, principalType: 'group', provider: 'activedirectory', displayName: 'developers', loginName: 'developers' }])
    const users = await searchPrincipals(config(), 'b', 'user')
    if (!users.ok) throw new Error(users.detail)
    expect(ids(users.principals)).toEqual([`activedirectory_user://${USERS.bob.dn}`])
  })

  it('matches the search name literally', async () => {
    for (const name of ['*', '*)(objectClass=*', 'a*']) {
      const found = await searchPrincipals(config(), name)
      if (!found.ok) throw new Error(found.detail)
      expect(found.principals, name).toEqual([])
    }
  })

  it("reads a user's groups now through the service account, nested when enabled", async () => {
    const direct = await lookupGroups(config(), USERS.bob.dn)
    if (!direct.ok) throw new Error(direct.detail)
    expect(direct.user.loginName).toBe('bob')
    expect(ids(direct.groups)).toEqual(groupIds(GROUP_DNS.developers, GROUP_DNS.ops))
    const nested = await lookupGroups(config({ nestedGroupMembershipEnabled: true }), USERS.alice.dn)
    if (!nested.ok) throw new Error(nested.detail)
    expect(ids(nested.groups)).toEqual(groupIds(GROUP_DNS.developers, GROUP_DNS.admins, GROUP_DNS.everyone))
  })

  it('refuses a refresh for a disabled user, a DN that is no user and one outside the search base', async () => {
    const results = await Promise.all([
      lookupGroups(config(), USERS.carol.dn),
      lookupGroups(config(), `CN=Nobody,${USERS_DN}`),
      lookupGroups(config(), GROUP_DNS.developers),
      lookupGroups(config(), `CN=Administrator,CN=Users,DC=other,DC=test`),
    ])
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['disabled', 'not-found', 'not-found', 'not-found'])
  })
})
