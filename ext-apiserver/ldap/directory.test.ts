// Logins against a real slapd (test/support/slapd.ts): users, a disabled one, nested groups, LDAPS and
// StartTLS with the test's own CA.
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateServingPki } from '../../infra/dev-cluster/pki.ts'
import { freePort } from '../../infra/dev-cluster/ports.ts'
import { GROUP_DNS, GROUPS, PEOPLE, SERVICE_ACCOUNT, startSlapd, USERS, type Slapd } from '../../test/support/slapd.ts'
import { parseLdapConfig, type LdapConfig } from './config.ts'
import { authenticate, outward, type LdapLogin, type LdapRefusal } from './directory.ts'

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
    connectionTimeout: 3000,
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

const groupIds = (login: LdapLogin) => login.groups.map((g) => g.id).sort()

describe('authenticate against slapd', () => {
  it("logs a user in by uid, with Rancher's principal ids and the direct groups", async () => {
    const login = loggedIn(await authenticate(config(), 'alice', USERS.alice.password))
    expect(login.user).toEqual({
      id: `openldap_user://${USERS.alice.dn}`,
      principalType: 'user',
      provider: 'openldap',
      displayName: 'Alice Liddell',
      loginName: 'alice',
    })
    expect(login.groups).toEqual([
      { id: `openldap_group://${GROUP_DNS.developers}`, principalType: 'group', provider: 'openldap', displayName: 'developers', loginName: 'developers' },
    ])
  })

  it('follows nested groups when enabled', async () => {
    const nested = config({ nestedGroupMembershipEnabled: true })
    expect(groupIds(loggedIn(await authenticate(nested, 'alice', USERS.alice.password)))).toEqual(
      [GROUP_DNS.admins, GROUP_DNS.developers, GROUP_DNS.everyone].map((dn) => `openldap_group://${dn}`).sort(),
    )
    expect(groupIds(loggedIn(await authenticate(nested, 'bob', USERS.bob.password)))).toEqual(
      [GROUP_DNS.admins, GROUP_DNS.developers, GROUP_DNS.everyone, GROUP_DNS.ops].map((dn) => `openldap_group://${dn}`).sort(),
    )
  })

  it('finds groups by their member attribute when the user entry carries no member-of attribute', async () => {
    // seeAlso is empty on every user: the groups come from (member=<user dn>) under the group search base.
    const bySearch = config({ userMemberAttribute: 'seeAlso' })
    expect(groupIds(loggedIn(await authenticate(bySearch, 'bob', USERS.bob.password)))).toEqual(
      [GROUP_DNS.developers, GROUP_DNS.ops].map((dn) => `openldap_group://${dn}`).sort(),
    )
  })

  it('names principals freeipa_… for the FreeIPA provider', async () => {
    const login = loggedIn(await authenticate(config(), 'alice', USERS.alice.password, { provider: 'freeipa' }))
    expect(login.user.id).toBe(`freeipa_user://${USERS.alice.dn}`)
    expect(login.groups[0]?.id).toBe(`freeipa_group://${GROUP_DNS.developers}`)
  })

  it('refuses wrong and empty passwords, unknown and disabled users, all with the same outward answer', async () => {
    const wrong = refused(await authenticate(config(), 'alice', 'not-her-password'))
    const empty = refused(await authenticate(config(), 'alice', ''))
    const unknown = refused(await authenticate(config(), 'mallory', 'whatever'))
    const disabled = refused(await authenticate(config(), 'carol', USERS.carol.password))
    expect([wrong.reason, empty.reason, unknown.reason, disabled.reason]).toEqual(['invalid-credentials', 'invalid-credentials', 'not-found', 'disabled'])
    const answers = [wrong, empty, unknown, disabled].map(outward)
    for (const a of answers) expect(a).toEqual({ status: 401, message: 'authentication failed' })
  })

  it('checks the password before telling a disabled account apart', async () => {
    expect(refused(await authenticate(config(), 'carol', 'not-her-password')).reason).toBe('invalid-credentials')
    // Without the enabled attribute configured, carol is an ordinary user.
    expect(loggedIn(await authenticate(config({ userEnabledAttribute: '' }), 'carol', USERS.carol.password)).user.loginName).toBe('carol')
  })

  it('treats filter syntax in the username as plain characters', async () => {
    for (const username of ['*', ')(uid=*', 'alice)(uid=*', '*)(|(uid=*', 'al*', 'alice*', '(uid=alice)', 'alice\\00']) {
      const result = refused(await authenticate(config(), username, USERS.alice.password))
      expect(result.reason, username).toBe('not-found')
    }
  })

  it('refuses a service account the directory rejects as a misconfiguration, not a user error', async () => {
    const result = refused(await authenticate(config({ serviceAccountPassword: 'wrong' }), 'alice', USERS.alice.password))
    expect(result.reason).toBe('misconfigured')
    expect(outward(result).status).toBe(500)
  })
})

describe('TLS to slapd', () => {
  it('logs in over LDAPS with the test CA', async () => {
    const login = loggedIn(await authenticate(config({ tls: true, port: slapd.tlsPort, certificate: slapd.caPem }), 'alice', USERS.alice.password))
    expect(login.user.id).toBe(`openldap_user://${USERS.alice.dn}`)
  })

  it('logs in with StartTLS and the test CA', async () => {
    const login = loggedIn(await authenticate(config({ starttls: true, certificate: slapd.caPem }), 'bob', USERS.bob.password))
    expect(login.user.id).toBe(`openldap_user://${USERS.bob.dn}`)
  })

  it('refuses a server whose certificate another CA signed, or no CA at all', async () => {
    const other = (await generateServingPki('other')).caPem
    for (const overrides of [
      { tls: true, port: slapd.tlsPort, certificate: other },
      { tls: true, port: slapd.tlsPort },
      { starttls: true, certificate: other },
      { starttls: true },
    ]) {
      const result = refused(await authenticate(config(overrides), 'alice', USERS.alice.password))
      expect(result.reason, JSON.stringify(Object.keys(overrides))).toBe('unreachable')
      expect(result.detail).toMatch(/certificate/i)
    }
  })
})

describe('a directory that cannot be reached', () => {
  let silent: Server
  const held: Socket[] = []
  beforeAll(async () => {
    // Accepts TCP and never answers: only the connection timeout ends a login against it.
    silent = createServer((sock) => void held.push(sock))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const s of held) s.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  // A port nothing listens on: free when asked, and nobody binds it in between.
  const closedPort = freePort

  it('answers unreachable for a closed port', async () => {
    const result = refused(await authenticate(config({ port: await closedPort() }), 'alice', USERS.alice.password))
    expect(result.reason).toBe('unreachable')
    expect(result.detail).toMatch(/ECONNREFUSED/)
    expect(outward(result)).toEqual({ status: 503, message: 'the directory server cannot be reached' })
  })

  it('gives up on a silent server after the connection timeout, over plain LDAP, LDAPS and StartTLS', async () => {
    const { port } = silent.address() as { port: number }
    for (const mode of [{}, { tls: true }, { starttls: true }]) {
      const result = refused(await authenticate(config({ port, connectionTimeout: 300, ...mode }), 'alice', USERS.alice.password))
      expect(result.reason, JSON.stringify(mode)).toBe('unreachable')
      expect(result.detail).toMatch(/time/i)
    }
  })

  it('moves on to the next server when the first cannot be reached', async () => {
    // Both servers share the port field, so the dead one is a loopback address nothing listens on at slapd's port.
    const login = loggedIn(await authenticate(config({ servers: ['127.0.0.2', '127.0.0.1'], port: slapd.port }), 'alice', USERS.alice.password))
    expect(login.user.loginName).toBe('alice')
  })
})
