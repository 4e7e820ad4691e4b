// OpenLDAP logins end to end: a real slapd, a real management cluster with drover's extension API server
// registered behind APIService v1.ext.cattle.io, the edge in workerd, the local agent and the runner. The
// edge never reaches the directory: every bind goes edge → local tunnel → kube-apiserver → aggregator →
// extension server → slapd.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extResources } from '../ext-apiserver/resources.ts'
import { execCommand } from './support/dev-cluster.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import * as ad from './support/samba.ts'
import { GROUP_DNS, GROUPS, PEOPLE, SERVICE_ACCOUNT, startSlapd, USERS, type Slapd } from './support/slapd.ts'

const ADMIN_PASSWORD = 'ldap-admin-password-1'
const PUBLIC = '/v3-public/openLdapProviders/openldap'

let stack: MgmtStack
let slapd: Slapd
let samba: ad.SambaDc
let ext: TestExtApiServer
let admin: string
/** A session of bob's from before the extension server stops, for the disable test. */
let bobSession: string

const ldapConfig = (extra: Record<string, unknown> = {}) => ({
  servers: ['127.0.0.1'],
  port: slapd.port,
  serviceAccountDistinguishedName: SERVICE_ACCOUNT.dn,
  serviceAccountPassword: SERVICE_ACCOUNT.password,
  userSearchBase: PEOPLE,
  groupSearchBase: GROUPS,
  userEnabledAttribute: 'shadowFlag',
  userDisabledBitMask: 2,
  nestedGroupMembershipEnabled: true,
  connectionTimeout: 3000,
  ...extra,
})

const login = (username: string, password: string) => stack.api().post<{ token?: string; message?: string; code?: string }>(`${PUBLIC}?action=login`, { username, password, responseType: 'json' })

beforeAll(async () => {
  ;[stack, slapd, samba] = await Promise.all([mgmtStack('ldap-e2e', { runner: true, adminPassword: ADMIN_PASSWORD }), startSlapd(), ad.startSamba()])
  ext = await startTestExtApiServer(stack.cluster, extResources)
  admin = await adminToken(stack, ADMIN_PASSWORD)
}, 240_000)
afterAll(async () => {
  await Promise.resolve(ext?.[Symbol.asyncDispose]()).catch(() => {})
  await slapd?.stop()
  await samba?.stop()
  await stack?.[Symbol.asyncDispose]()
})

describe('OpenLDAP through the extension API server', () => {
  it('is not listed and refuses logins until enabled', async () => {
    const providers = await stack.api().get<{ data: { id: string }[] }>('/v3-public/authProviders')
    expect(providers.body.data.map((p) => p.id)).not.toContain('openldap')
    expect((await login('alice', USERS.alice.password)).status).toBe(404)
  })

  it('cannot be enabled by a plain PUT, only by a test login', async () => {
    const res = await stack.api(admin).put('/v3/authconfigs/openldap', { ...ldapConfig(), enabled: true })
    expect(res.status).toBe(422)
    expect(res.body.message).toMatch(/testAndApply/)
  })

  it('testAndApply: a standard user may not (refused before the directory is asked), a wrong test password saves nothing', async () => {
    const user = await createUser(stack, admin, 'ldap-std')
    const denied = await stack.api(user.token).post('/v3/authconfigs/openldap?action=testAndApply', { ldapConfig: ldapConfig(), username: 'alice', password: USERS.alice.password })
    expect(denied.status).toBe(403)
    const wrong = await stack.api(admin).post('/v3/authconfigs/openldap?action=testAndApply', { ldapConfig: ldapConfig(), username: 'alice', password: 'wrong' })
    expect(wrong.status).toBe(422)
    expect(wrong.body.message).toMatch(/test login failed/)
    const shown = await stack.api(admin).get('/v3/authconfigs/openldap')
    expect(shown.status).toBe(404)
  })

  it('testAndApply with a good login enables it, hides the password and links the tester', async () => {
    const res = await stack.api(admin).post<Record<string, unknown>>('/v3/authconfigs/openldap?action=testAndApply', { ldapConfig: ldapConfig(), username: 'bob', password: USERS.bob.password })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ id: 'openldap', type: 'openLdapConfig', enabled: true, accessMode: 'unrestricted', allowedPrincipalIds: [`openldap_user://${USERS.bob.dn}`] })
    expect(JSON.stringify(res.body)).not.toContain(SERVICE_ACCOUNT.password)
    expect(res.body.serviceAccountPassword).toBeUndefined()
    const me = await stack.api(admin).get<{ data: { principalIds: string[] }[] }>('/v3/users?me=true')
    expect(me.body.data[0]?.principalIds).toContain(`openldap_user://${USERS.bob.dn}`)
    await eventually('openldap to be listed', async () => {
      const providers = await stack.api().get<{ data: { id: string; type: string; actions: { login: string } }[] }>('/v3-public/authProviders')
      const entry = providers.body.data.find((p) => p.id === 'openldap')
      return entry ? expect(entry).toMatchObject({ type: 'openLdapProvider', actions: { login: expect.stringContaining(`${PUBLIC}?action=login`) } }) : undefined
    }, 15_000)
  })

  it('logs a directory user in with nested groups as principals; the tester logs in as their own user', async () => {
    const res = await login('alice', USERS.alice.password)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const mine = await stack.api(res.body.token).get<{ data: { id: string; principalType: string }[] }>('/v3/principals')
    expect(mine.body.data.map((p) => p.id).sort()).toEqual(
      [`openldap_user://${USERS.alice.dn}`, ...[GROUP_DNS.developers, GROUP_DNS.admins, GROUP_DNS.everyone].map((dn) => `openldap_group://${dn}`)].sort(),
    )
    const bob = await login('bob', USERS.bob.password)
    const bobMe = await stack.api(bob.body.token).get<{ data: { id: string }[] }>('/v3/users?me=true')
    expect(bobMe.body.data[0]?.id).toBe(stack.admin.userId)
  })

  it('searches the directory for principals to bind roles to', async () => {
    type Found = { data: { id: string; principalType: string; provider: string; displayName: string }[] }
    const users = await stack.api(admin).post<Found>('/v3/principals?action=search', { name: 'ali', principalType: 'user' })
    expect(users.status).toBe(200)
    expect(users.body.data).toContainEqual(expect.objectContaining({ id: `openldap_user://${USERS.alice.dn}`, principalType: 'user', provider: 'openldap', displayName: USERS.alice.cn }))
    const groups = await stack.api(admin).post<Found>('/v3/principals?action=search', { name: 'dev', principalType: 'group' })
    expect(groups.body.data.map((p) => p.id)).toContain(`openldap_group://${GROUP_DNS.developers}`)
    expect(groups.body.data.every((p) => p.principalType === 'group')).toBe(true)
    // Filter syntax in a name is matched literally, never as a filter.
    const injected = await stack.api(admin).post<Found>('/v3/principals?action=search', { name: '*)(uid=*', principalType: 'user' })
    expect(injected.body.data.filter((p) => p.provider === 'openldap')).toEqual([])
  })

  it('gives one 401 for a wrong password, an unknown user, a disabled user and a filter injection', async () => {
    for (const [u, p] of [['alice', 'nope'], ['nobody', 'x'], ['carol', USERS.carol.password], ['*', USERS.alice.password], ['alice)(uid=*', USERS.alice.password]] as const) {
      const res = await login(u, p)
      expect(res.status, u).toBe(401)
      expect(res.body.message, u).toBe('authentication failed: wrong username or password')
    }
  })

  it('a group binding grants access downstream to a member through a nested group', async () => {
    const token = (await login('alice', USERS.alice.password)).body.token!
    const path = '/k8s/clusters/local/api/v1/namespaces/default/configmaps'
    expect((await stack.api(token).get(path)).status).toBe(403)
    const crtb = await stack.api(admin).post<{ id: string }>('/v3/clusterroletemplatebindings', { clusterId: 'local', roleTemplateId: 'cluster-owner', groupPrincipalId: `openldap_group://${GROUP_DNS.everyone}` })
    expect(crtb.status, JSON.stringify(crtb.body)).toBe(201)
    await eventually('the group binding to reach the cluster', async () => ((await stack.api(token).get(path)).status === 200 ? true : undefined), 60_000)
    expect((await stack.api(admin).del(`/v3/clusterroletemplatebindings/${crtb.body.id}`)).status).toBeLessThan(300)
    await eventually('the group binding to be gone', async () => ((await stack.api(token).get(path)).status === 403 ? true : undefined), 60_000)
  })

  it('a group removed in the directory stops granting access at the next group refresh; sessions whose groups hold stay', async () => {
    const setMaxAge = async (value: string) => {
      const res = await stack.api(admin).put('/v3/settings/auth-user-info-max-age-seconds', { value })
      if (res.status === 404) expect((await stack.api(admin).post('/v3/settings', { name: 'auth-user-info-max-age-seconds', value })).status).toBe(201)
      else expect(res.status, JSON.stringify(res.body)).toBe(200)
    }
    const alice = (await login('alice', USERS.alice.password)).body.token!
    const bob = (await login('bob', USERS.bob.password)).body.token!
    const devs = await stack.api(admin).post<{ id: string }>('/v3/clusterroletemplatebindings', { clusterId: 'local', roleTemplateId: 'cluster-owner', groupPrincipalId: `openldap_group://${GROUP_DNS.developers}` })
    expect(devs.status).toBe(201)
    const path = '/k8s/clusters/local/api/v1/namespaces/default/configmaps'
    await eventually('the group binding', async () => ((await stack.api(alice).get(path)).status === 200 ? true : undefined), 60_000)
    await setMaxAge('2')
    try {
      await slapd.modify(`dn: ${GROUP_DNS.developers}\nchangetype: modify\ndelete: member\nmember: ${USERS.alice.dn}\n`)
      // The settings cache (10 s), the check's age (2 s) and the revocation bound (5 s) all pass.
      await eventually('alice to be refused', async () => ((await stack.api(alice).get(path)).status === 401 ? true : undefined), 30_000)
      expect((await stack.api(bob).get(path)).status).toBe(200)
      const again = await login('alice', USERS.alice.password)
      const mine = await stack.api(again.body.token).get<{ data: { id: string }[] }>('/v3/principals')
      expect(mine.body.data.map((p) => p.id)).toEqual([`openldap_user://${USERS.alice.dn}`])
      expect((await stack.api(again.body.token).get(path)).status).toBe(403)
    } finally {
      await slapd.modify(`dn: ${GROUP_DNS.developers}\nchangetype: modify\nadd: member\nmember: ${USERS.alice.dn}\n`)
      await setMaxAge('3600')
      await stack.api(admin).del(`/v3/clusterroletemplatebindings/${devs.body.id}`)
    }
  })

  it('groupmembershiprefreshrequests ends, now, the sessions whose groups no longer hold', async () => {
    const alice = (await login('alice', USERS.alice.password)).body.token!
    const bob = (await login('bob', USERS.bob.password)).body.token!
    const me = await stack.api(alice).get<{ data: { id: string }[] }>('/v3/users?me=true')
    const aliceId = me.body.data[0]!.id
    await slapd.modify(`dn: ${GROUP_DNS.developers}\nchangetype: modify\ndelete: member\nmember: ${USERS.alice.dn}\n`)
    try {
      const request = (userId: string) => stack.cluster.kubectl(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'GroupMembershipRefreshRequest', spec: { userId } }) })
      const one = await request(aliceId)
      expect(one.code, one.stderr).toBe(0)
      expect(JSON.parse(one.stdout).status).toMatchObject({ summary: 'Completed', usersChecked: 1, sessionsEnded: expect.any(Number) })
      expect(JSON.parse(one.stdout).status.sessionsEnded).toBeGreaterThanOrEqual(1)
      await eventually('alice to be refused', async () => ((await stack.api(alice).get('/v3/users?me=true')).status === 401 ? true : undefined), 30_000)
      // Everyone at once: bob's groups hold, so his session stays.
      const all = await request('*')
      expect(JSON.parse(all.stdout).status).toMatchObject({ summary: 'Completed', sessionsEnded: 0 })
      expect((await stack.api(bob).get('/v3/users?me=true')).status).toBe(200)
      const nobody = await request('u-nosuch')
      expect(JSON.parse(nobody.stdout).status).toMatchObject({ summary: 'Failed' })
    } finally {
      await slapd.modify(`dn: ${GROUP_DNS.developers}\nchangetype: modify\nadd: member\nmember: ${USERS.alice.dn}\n`)
    }
  })

  it('restricted access lets in members of an allowed group only', async () => {
    const res = await stack.api(admin).put('/v3/authconfigs/openldap', { accessMode: 'restricted', allowedPrincipalIds: [`openldap_group://${GROUP_DNS.ops}`] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const bob = await login('bob', USERS.bob.password)
    expect(bob.status).toBe(201)
    bobSession = bob.body.token!
    const alice = await login('alice', USERS.alice.password)
    expect(alice.status).toBe(403)
    expect(alice.body.message).toMatch(/not allowed to log in/)
  })

})

describe('Active Directory (Samba AD DC) through the extension API server', () => {
  const AD_PUBLIC = '/v3-public/activeDirectoryProviders/activedirectory'
  const adLogin = (username: string, password: string) => stack.api().post<{ token?: string; message?: string }>(`${AD_PUBLIC}?action=login`, { username, password, responseType: 'json' })
  const adConfig = () => ({
    servers: [samba.host],
    port: 636,
    tls: true,
    certificate: samba.caPem,
    defaultLoginDomain: ad.NETBIOS_DOMAIN,
    serviceAccountUsername: ad.SERVICE_ACCOUNT.sam,
    serviceAccountPassword: ad.SERVICE_ACCOUNT.password,
    userSearchBase: ad.USERS_DN,
    groupSearchBase: ad.BASE_DN,
    nestedGroupMembershipEnabled: true,
    connectionTimeout: 5000,
  })

  it('is enabled by testAndApply with a domain login', async () => {
    const res = await stack.api(admin).post<Record<string, unknown>>('/v3/authconfigs/activedirectory?action=testAndApply', { activeDirectoryConfig: adConfig(), username: `${ad.NETBIOS_DOMAIN}\\bob`, password: ad.USERS.bob.password })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ type: 'activeDirectoryConfig', enabled: true })
  })

  it('a binding to a directory user who never logged in makes their user, whom their first login becomes', async () => {
    const crtb = await stack.api(admin).post<{ userId: string }>('/v3/clusterroletemplatebindings', { clusterId: 'local', roleTemplateId: 'cluster-owner', userPrincipalId: `activedirectory_user://${ad.USERS.alice.dn}` })
    expect(crtb.status, JSON.stringify(crtb.body)).toBe(201)
    expect(crtb.body.userId).toMatch(/^u-/)
    const alice = await adLogin('alice', ad.USERS.alice.password)
    const me = await stack.api(alice.body.token).get<{ data: { id: string; displayName: string }[] }>('/v3/users?me=true')
    expect(me.body.data[0]).toMatchObject({ id: crtb.body.userId, displayName: 'Alice Liddell' })
    const path = '/k8s/clusters/local/api/v1/namespaces/default/configmaps'
    await eventually('the binding to reach the cluster', async () => ((await stack.api(alice.body.token).get(path)).status === 200 ? true : undefined), 60_000)
    const unknown = await stack.api(admin).post('/v3/clusterroletemplatebindings', { clusterId: 'local', roleTemplateId: 'cluster-owner', userPrincipalId: 'nosuch_user://x' })
    expect(unknown.status).toBe(422)
  })

  it('logs users in by name, DOMAIN\\name and userPrincipalName, with nested groups', async () => {
    const expected = [`activedirectory_user://${ad.USERS.alice.dn}`, ...[ad.GROUP_DNS.developers, ad.GROUP_DNS.admins, ad.GROUP_DNS.everyone].map((dn) => `activedirectory_group://${dn}`)].sort()
    for (const name of ['alice', `${ad.NETBIOS_DOMAIN}\\alice`, `alice@${ad.REALM.toLowerCase()}`]) {
      const res = await adLogin(name, ad.USERS.alice.password)
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(201)
      const mine = await stack.api(res.body.token).get<{ data: { id: string }[] }>('/v3/principals')
      const ids = mine.body.data.map((p) => p.id).filter((id) => !id.startsWith('local://')).sort()
      expect(ids, name).toEqual(expected)
    }
  })

  it('refuses a disabled account, a wrong password and an unknown domain alike', async () => {
    for (const [u, p] of [['carol', ad.USERS.carol.password], ['alice', 'Wrong-Secret-1'], ['ELSEWHERE\\alice', ad.USERS.alice.password], ['*', ad.USERS.alice.password]] as const) {
      const res = await adLogin(u, p)
      expect(res.status, u).toBe(401)
      expect(res.body.message, u).toBe('authentication failed: wrong username or password')
    }
  })
})

describe('FreeIPA-style LDAP, and the command line', () => {
  it('freeipa binds the same directory with its own principal ids', async () => {
    const res = await stack.api(admin).post('/v3/authconfigs/freeipa?action=testAndApply', { ldapConfig: ldapConfig(), username: 'alice', password: USERS.alice.password })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const alice = await stack.api().post<{ token?: string }>('/v3-public/freeIpaProviders/freeipa?action=login', { username: 'alice', password: USERS.alice.password, responseType: 'json' })
    expect(alice.status).toBe(201)
    const mine = await stack.api(alice.body.token).get<{ data: { id: string }[] }>('/v3/principals')
    expect(mine.body.data.map((p) => p.id)).toContain(`freeipa_group://${GROUP_DNS.developers}`)
  })

  it('drover login takes a directory user by name and password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-ldap-cli-'))
    try {
      const env = { ...process.env, DROVER_CONFIG: join(dir, 'config.json') }
      const drover = join(import.meta.dirname, '..', 'bin', 'drover.js')
      const r = await execCommand(process.execPath, [drover, 'login', stack.edge.url.origin, '--cacert', stack.edge.caFile, '--provider', 'openldap', '--username', 'bob', '--password-stdin'], { env, input: `${USERS.bob.password}\n` })
      expect(r.code, r.stderr).toBe(0)
      const stored = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { servers: Record<string, { session: { token: string; provider: string } }> }
      const session = stored.servers[stack.edge.url.origin]!.session
      expect(session.provider).toBe('openldap')
      expect((await stack.api(session.token).get('/v3/users?me=true')).status).toBe(200)
      const wrong = await execCommand(process.execPath, [drover, 'login', stack.edge.url.origin, '--cacert', stack.edge.caFile, '--provider', 'openldap', '--username', 'bob', '--password-stdin'], { env, input: 'nope\n' })
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toMatch(/wrong username or password/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('when the extension server is gone, and when a provider is disabled', () => {
  it('says so when the extension server is down, and logs nobody in', async () => {
    await ext.server.close()
    const res = await eventually('the aggregator to notice', async () => {
      const r = await login('bob', USERS.bob.password)
      return r.status === 201 ? undefined : r
    })
    expect(res.status).toBe(503)
    expect(res.body.message).toMatch(/extension API server is unavailable/)
  })

  it('disabling it ends its sessions', async () => {
    const bob = bobSession
    expect((await stack.api(bob).get('/v3/users?me=true')).status).toBe(200)
    expect((await stack.api(admin).post('/v3/authconfigs/openldap?action=disable', {})).status).toBe(200)
    await eventually('the session to be revoked', async () => ((await stack.api(bob).get('/v3/users?me=true')).status === 401 ? true : undefined), 15_000)
    expect((await login('bob', USERS.bob.password)).status).toBe(404)
  })
})
