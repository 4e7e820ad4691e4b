// Rancher's imperative ext.cattle.io resources end to end: a real management cluster with the extension
// API server behind its aggregator, the edge in workerd, the local agent and the runner. Users run kubectl
// THROUGH THE EDGE (/k8s/clusters/local, a kubeconfig from /v3 generateKubeconfig), so every request goes
// edge → local tunnel → kube-apiserver → aggregator → extension server, as the user; the ext tokens it
// makes are then accepted by the edge itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { extResources } from '../ext-apiserver/resources.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { kubectlVia } from './support/proxy-fixture.ts'

const ADMIN_PASSWORD = 'ext-imperative-admin-1'
const dir = mkdtempSync(join(tmpdir(), 'drover-ext-imp-'))
let stack: MgmtStack
let ext: TestExtApiServer
let admin: string
type User = Awaited<ReturnType<typeof createUser>> & { kubeconfig: string }
let alice: User
let bob: User
let adminKubeconfig: string

/** A kubeconfig file through the edge to cluster local with `token`. */
function kubeconfigFile(name: string, token: string): string {
  const file = join(dir, name)
  const server = `${stack.edge.url.origin}/k8s/clusters/local`
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'l', cluster: { server } }], users: [{ name: 'u', user: { token } }], contexts: [{ name: 'c', context: { cluster: 'l', user: 'u' } }], 'current-context': 'c' }))
  return file
}

/** kubectl through the edge with a kubeconfig file; `input` as stdin. */
const kubectl = (kubeconfig: string, args: string[], input?: string) => kubectlVia(kubeconfig, ['--certificate-authority', stack.edge.caFile, ...args], input === undefined ? {} : { input })

/** The kubeconfig /v3 generates for a user and cluster local (once the runner has given them access). */
async function generated(token: string, name: string): Promise<string> {
  const config = await eventually(`a kubeconfig for ${name}`, async () => {
    const res = await stack.api(token).post<{ config?: string }>('/v3/clusters/local?action=generateKubeconfig')
    return res.status === 200 ? res.body.config : undefined
  }, 60_000)
  const file = join(dir, name)
  writeFileSync(file, config)
  return file
}

async function refusedWithin(token: string, boundMs: number): Promise<void> {
  const start = Date.now()
  while (Date.now() - start < boundMs) {
    if ((await stack.api(token).get('/v3/tokens')).status === 401) return
    await sleep(200)
  }
  throw new Error(`token still accepted after ${boundMs} ms`)
}

const tokenManifest = (spec: object = {}) => JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'Token', spec })

interface ExtTokenJson {
  metadata: { name: string }
  spec: { userID: string; description: string; ttl: number; enabled: boolean; clusterName: string }
  status: { value?: string; bearerToken?: string; expired: boolean }
}

beforeAll(async () => {
  stack = await mgmtStack('ext-imperative', { runner: true, adminPassword: ADMIN_PASSWORD })
  ext = await startTestExtApiServer(stack.cluster, extResources, { passwordPeppers: stack.secrets.DROVER_PASSWORD_PEPPERS })
  admin = await adminToken(stack, ADMIN_PASSWORD)
  const users = await Promise.all(['ext-alice', 'ext-bob'].map((u) => createUser(stack, admin, u)))
  for (const u of users) {
    const crtb = await stack.api(admin).post('/v3/clusterroletemplatebindings', { clusterId: 'local', roleTemplateId: 'cluster-member', userId: u.id })
    expect(crtb.status, JSON.stringify(crtb.body)).toBe(201)
  }
  const [a, b] = await Promise.all(users.map(async (u) => ({ ...u, kubeconfig: await generated(u.token, u.id) })))
  alice = a!
  bob = b!
  adminKubeconfig = await generated(admin, 'admin')
}, 300_000)
afterAll(async () => {
  await Promise.resolve(ext?.[Symbol.asyncDispose]()).catch(() => {})
  await stack?.[Symbol.asyncDispose]()
  rmSync(dir, { recursive: true, force: true })
})

describe('tokens.ext.cattle.io through the edge', () => {
  let token: ExtTokenJson

  it('kubectl create makes a token whose value is shown once and works on /v3 and with kubectl', async () => {
    const created = await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'json'], tokenManifest({ description: 'e2e', ttl: 3_600_000 }))
    expect(created.code, created.stderr).toBe(0)
    token = JSON.parse(created.stdout) as ExtTokenJson
    expect(token).toMatchObject({ spec: { userID: alice.id, description: 'e2e', ttl: 3_600_000, enabled: true, clusterName: '' }, status: { expired: false } })
    expect(token.metadata.name).toMatch(/^token-[a-z0-9]{5}$/)
    expect(token.status.bearerToken).toBe(`ext/${token.metadata.name}:${token.status.value}`)
    // Never again: not by get, not in a list.
    const got = await kubectl(alice.kubeconfig, ['get', 'tokens.ext.cattle.io', token.metadata.name, '-o', 'json'])
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout).status.value).toBeUndefined()
    const listed = await kubectl(alice.kubeconfig, ['get', 'tokens.ext.cattle.io', '-o', 'json'])
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as { items: ExtTokenJson[] }).items.map((t) => t.metadata.name)).toContain(token.metadata.name)
    expect(listed.stdout).not.toContain(token.status.value)
    // The edge accepts it: as a bearer token on /v3, which also lists it among the user's tokens ...
    const v3 = await stack.api(token.status.bearerToken).get<{ data: { id: string }[] }>('/v3/tokens')
    expect(v3.status).toBe(200)
    expect(v3.body.data.map((t) => t.id)).toContain(token.metadata.name)
    // ... and in a kubeconfig, where the aggregator tells the extension server it is alice.
    const own = kubeconfigFile('alice-ext', token.status.bearerToken!)
    const me = await kubectl(own, ['create', '-f', '-', '-o', 'jsonpath={.status.userID}'], JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'SelfUser' }))
    expect([me.code, me.stdout, me.stderr]).toEqual([0, alice.id, ''])
  })

  it('is invisible to another user (404 on get and delete, absent from their list); an admin sees it', async () => {
    const name = token.metadata.name
    const get = await kubectl(bob.kubeconfig, ['get', 'tokens.ext.cattle.io', name])
    expect(get.code).not.toBe(0)
    expect(get.stderr).toMatch(/NotFound|not found/)
    const del = await kubectl(bob.kubeconfig, ['delete', 'tokens.ext.cattle.io', name])
    expect(del.code).not.toBe(0)
    expect(del.stderr).toMatch(/not found/)
    const list = await kubectl(bob.kubeconfig, ['get', 'tokens.ext.cattle.io', '-o', 'name'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).not.toContain(name)
    const asAdmin = await kubectl(adminKubeconfig, ['get', 'tokens.ext.cattle.io', '-o', 'name'])
    expect(asAdmin.stdout).toContain(name)
    // Still alice's, still working.
    expect((await stack.api(token.status.bearerToken).get('/v3/tokens')).status).toBe(200)
  })

  it('refuses system identities (not a Rancher user), a token for someone else, a cluster it cannot reach', async () => {
    const system = await stack.cluster.kubectl(['create', '-f', '-'], { input: tokenManifest() })
    expect(system.stderr).toMatch(/is not a Rancher user/)
    const other = await kubectl(alice.kubeconfig, ['create', '-f', '-'], tokenManifest({ userID: bob.id }))
    expect(other.stderr).toMatch(/unable to create token for other user/)
    const cluster = await kubectl(alice.kubeconfig, ['create', '-f', '-'], tokenManifest({ clusterName: 'c-nowhere' }))
    expect(cluster.stderr).toMatch(/cluster c-nowhere not found/)
  })

  it('disabling it (kubectl patch) and deleting it (kubectl, or /v3) revoke it within the bound', async () => {
    const make = async () => JSON.parse((await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'json'], tokenManifest())).stdout) as ExtTokenJson
    const patched = await kubectl(alice.kubeconfig, ['patch', 'tokens.ext.cattle.io', token.metadata.name, '--type=merge', '-p', '{"spec":{"enabled":false}}', '-o', 'json'])
    expect(patched.code, patched.stderr).toBe(0)
    expect(JSON.parse(patched.stdout).spec.enabled).toBe(false)
    await refusedWithin(token.status.bearerToken!, 10_000)

    const second = await make()
    expect((await stack.api(second.status.bearerToken).get('/v3/tokens')).status).toBe(200)
    const deleted = await kubectl(alice.kubeconfig, ['delete', 'tokens.ext.cattle.io', second.metadata.name])
    expect(deleted.code, deleted.stderr).toBe(0)
    await refusedWithin(second.status.bearerToken!, 10_000)

    const third = await make()
    expect((await stack.api(third.status.bearerToken).get('/v3/tokens')).status).toBe(200)
    expect((await stack.api(alice.token).del(`/v3/tokens/${third.metadata.name}`)).status).toBe(200)
    await refusedWithin(third.status.bearerToken!, 10_000)
  })
})

describe('ext tokens in the management cluster', () => {
  it('only the extension server makes them: an administrator can neither create one nor swap a hash or kind', async () => {
    const asAdmin = (args: string[], input?: string) => stack.cluster.kubectl(['--as', stack.admin.userId, '--as-group', 'system:authenticated', ...args], input === undefined ? undefined : { input })
    const forged = await asAdmin(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'management.cattle.io/v3', kind: 'Token',
      metadata: { name: 'token-forge1', labels: { 'drover.io/token-kind': 'ext', 'authn.management.cattle.io/token-userId': bob.id } },
      token: 'sha256$salt$digest', userId: bob.id, authProvider: 'local', enabled: true,
    }))
    expect(forged.code).not.toBe(0)
    expect(forged.stderr).toMatch(/ext tokens are made by the extension API server only/)
    const mine = JSON.parse((await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'json'], tokenManifest())).stdout) as ExtTokenJson
    const swap = await asAdmin(['patch', 'tokens.management.cattle.io', mine.metadata.name, '--type=merge', '-p', '{"token":"sha256$salt$digest"}'])
    expect(swap.stderr).toMatch(/kind and hash never change/)
    const relabel = await asAdmin(['label', 'tokens.management.cattle.io', mine.metadata.name, '--overwrite', 'drover.io/token-kind=api-key'])
    expect(relabel.stderr).toMatch(/kind and hash never change/)
    // Nor make it speak for someone else, or add a group to it.
    for (const patch of [{ userId: bob.id }, { groupPrincipals: [{ metadata: { name: 'system:masters' }, principalType: 'group', provider: 'local' }] }, { clusterName: 'c-other' }]) {
      const edited = await asAdmin(['patch', 'tokens.management.cattle.io', mine.metadata.name, '--type=merge', '-p', JSON.stringify(patch)])
      expect(edited.code, JSON.stringify(patch)).not.toBe(0)
      // drover-immutable-fields refuses a changed user or cluster of any token too; either policy may answer first.
      expect(edited.stderr).toMatch(/user, principals, groups, cluster and expiry never change|user, cluster and provider are immutable/)
    }
    // The administrator may still delete it (and the runner revokes it at the edge).
    expect((await asAdmin(['delete', 'tokens.management.cattle.io', mine.metadata.name])).code).toBe(0)
  })
})

describe('selfusers.ext.cattle.io', () => {
  it('answers the caller\'s user id', async () => {
    const me = await kubectl(bob.kubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.userID}'], JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'SelfUser' }))
    expect([me.code, me.stdout]).toEqual([0, bob.id])
  })
})

describe('kubeconfigs.ext.cattle.io through the edge', () => {
  const manifest = (spec: object) => JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'Kubeconfig', spec })

  it('points at the edge by the server-url setting (an administrator\'s value over the runner\'s default); ["*"] is every cluster the user may get', async () => {
    const set = (value: string) => stack.cluster.kubectl(['patch', 'settings.management.cattle.io', 'server-url', '--type=merge', '-p', JSON.stringify({ value })])
    expect((await set('https://drover.example.test/')).code).toBe(0)
    const made = await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.value}'], manifest({ clusters: ['local'] }))
    expect(made.code, made.stderr).toBe(0)
    expect((parse(made.stdout) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server).toBe('https://drover.example.test/k8s/clusters/local')
    // ["*"]: every cluster the user may get — alice is a member of local only (c-other is not hers).
    const other = await stack.cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: 'c-other' }, spec: { displayName: 'other' } }) })
    expect(other.code, other.stderr).toBe(0)
    const all = await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.value}'], manifest({ clusters: ['*'] }))
    expect(all.code, all.stderr).toBe(0)
    expect((parse(all.stdout) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual(['local'])
    const asAdmin = await kubectl(adminKubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.value}'], manifest({ clusters: ['*'] }))
    expect((parse(asAdmin.stdout) as { clusters: { name: string }[] }).clusters.map((c) => c.name).sort()).toEqual(['c-other', 'local'])
    expect((await set('')).code).toBe(0)
  })

  it('kubectl create answers a kubeconfig that works with kubectl; another user cannot see it; deleting it revokes its token', async () => {
    const unknown = await kubectl(alice.kubeconfig, ['create', '-f', '-'], manifest({ clusters: ['c-nowhere'] }))
    expect(unknown.stderr).toMatch(/cluster c-nowhere not found/)
    const created = await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'json'], manifest({ clusters: ['local'], ttl: 3600, description: 'e2e' }))
    expect(created.code, created.stderr).toBe(0)
    const kc = JSON.parse(created.stdout) as { metadata: { name: string }; spec: { ttl: number; currentContext: string }; status: { value: string; tokens: string[] } }
    expect(kc.spec).toMatchObject({ ttl: 3600, currentContext: 'local' })
    expect(kc.status.tokens).toHaveLength(1)
    const doc = parse(kc.status.value) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] }
    expect(doc.clusters[0]!.cluster.server).toBe(`${stack.edge.url.origin}/k8s/clusters/local`)
    const file = join(dir, 'alice-ext-kubeconfig')
    writeFileSync(file, kc.status.value)
    const whoami = await kubectl(file, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])
    expect([whoami.code, whoami.stdout, whoami.stderr]).toEqual([0, alice.id, ''])
    // Its token is held to cluster local.
    const elsewhere = await stack.edge.fetch('/k8s/clusters/c-other/version', { headers: { authorization: `Bearer ${doc.users[0]!.user.token}` } })
    expect(elsewhere.status).toBe(403)

    const got = await kubectl(alice.kubeconfig, ['get', 'kubeconfigs.ext.cattle.io', kc.metadata.name, '-o', 'json'])
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout).status.value).toBeUndefined()
    const bobs = await kubectl(bob.kubeconfig, ['get', 'kubeconfigs.ext.cattle.io', kc.metadata.name])
    expect(bobs.stderr).toMatch(/not found/)
    const bobList = await kubectl(bob.kubeconfig, ['get', 'kubeconfigs.ext.cattle.io', '-o', 'name'])
    expect(bobList.stdout).not.toContain(kc.metadata.name)

    const deleted = await kubectl(alice.kubeconfig, ['delete', 'kubeconfigs.ext.cattle.io', kc.metadata.name])
    expect(deleted.code, deleted.stderr).toBe(0)
    await refusedWithin(doc.users[0]!.user.token, 10_000)
    const gone = await kubectl(alice.kubeconfig, ['get', 'tokens.ext.cattle.io', kc.status.tokens[0]!])
    expect(gone.stderr).toMatch(/not found/)
  })
})

describe('passwordchangerequests.ext.cattle.io', () => {
  const change = (spec: object) => JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'PasswordChangeRequest', spec })
  const login = (username: string, password: string) => stack.api().post('/v3-public/localProviders/local?action=login', { username, password, responseType: 'json' })

  it('refuses a wrong current password; with the right one, only the new password logs in', async () => {
    const next = 'alice-new-password-5678'
    const wrong = await kubectl(alice.kubeconfig, ['create', '-f', '-'], change({ userID: alice.id, currentPassword: 'not-the-password-1', newPassword: next }))
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toMatch(/current password is wrong/)
    expect((await login('ext-alice', next)).status).toBe(401)
    const short = await kubectl(alice.kubeconfig, ['create', '-f', '-'], change({ userID: alice.id, currentPassword: alice.password, newPassword: 'short' }))
    expect(short.stderr).toMatch(/at least 12 characters/)
    const ok = await kubectl(alice.kubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.summary}'], change({ userID: alice.id, currentPassword: alice.password, newPassword: next }))
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, 'Completed', ''])
    expect((await login('ext-alice', alice.password)).status).toBe(401)
    expect((await login('ext-alice', next)).status).toBe(201)
    // Her own change keeps her sessions, as /v3's changepassword does.
    expect((await stack.api(alice.token).get('/v3/tokens')).status).toBe(200)
  })

  it("another user's password: refused to a standard user, set without the current one by an admin", async () => {
    const next = 'bob-set-by-admin-5678'
    const denied = await kubectl(alice.kubeconfig, ['create', '-f', '-'], change({ userID: bob.id, newPassword: next }))
    expect(denied.stderr).toMatch(/may not change the password/)
    const byAdmin = await kubectl(adminKubeconfig, ['create', '-f', '-', '-o', 'jsonpath={.status.summary}'], change({ userID: bob.id, newPassword: next }))
    expect([byAdmin.code, byAdmin.stdout, byAdmin.stderr]).toEqual([0, 'Completed', ''])
    expect((await login('ext-bob', bob.password)).status).toBe(401)
    expect((await login('ext-bob', next)).status).toBe(201)
    // As /v3's setpassword: an admin's change ends the user's sessions (Token CRs deleted, the runner revokes them).
    await refusedWithin(bob.token, 10_000)
  })
})
