// The bind review handler against a real slapd and a real management apiserver holding the AuthConfig
// and its password Secret (the HTTP layer in front of it is tested in test/ext-apiserver.test.ts).
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kubeConfigTransport } from '../../node/kube/index.ts'
import { EXT_API_VERSION, type DirectoryBindReview } from '../../protocol/api/ext.ts'
import { KubeClient, mgmt, NAMESPACE, SECRET } from '../../protocol/kube/index.ts'
import { devCluster, type DevCluster } from '../../test/support/dev-cluster.ts'
import { GROUP_DNS, GROUPS, PEOPLE, SERVICE_ACCOUNT, startSlapd, USERS, type Slapd } from '../../test/support/slapd.ts'
import { StatusError, type ExtResource } from '../server/resource.ts'
import { directoryBindReviews } from './bind-review.ts'

let slapd: Slapd
let cluster: DevCluster
let kube: KubeClient
let reviews: ExtResource

const fields = () => ({
  servers: ['127.0.0.1'],
  port: slapd.port,
  serviceAccountDistinguishedName: SERVICE_ACCOUNT.dn,
  userSearchBase: PEOPLE,
  groupSearchBase: GROUPS,
  userEnabledAttribute: 'shadowFlag',
  userDisabledBitMask: 2,
  nestedGroupMembershipEnabled: true,
  connectionTimeout: 3000,
})

async function storeConfig(enabled: boolean, extra: Record<string, unknown> = {}): Promise<void> {
  const existing = await kube.find<{ metadata: { resourceVersion?: string } }>(mgmt('AuthConfig'), 'openldap')
  const body = { apiVersion: 'management.cattle.io/v3', kind: 'AuthConfig', metadata: { name: 'openldap', resourceVersion: existing?.metadata.resourceVersion }, type: 'openLdapConfig', enabled, ...fields(), serviceAccountPassword: 'cattle-global-data:openldapconfig-serviceaccountpassword', ...extra }
  if (existing) await kube.update(mgmt('AuthConfig'), body)
  else await kube.create(mgmt('AuthConfig'), body)
}

beforeAll(async () => {
  ;[slapd, cluster] = await Promise.all([startSlapd(), devCluster('ext-bind', { mode: 'lite' })])
  kube = new KubeClient(kubeConfigTransport(cluster.kubeConfig))
  await kube.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-global-data' } })
  await kube.create(SECRET, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'openldapconfig-serviceaccountpassword', namespace: 'cattle-global-data' },
    data: { serviceaccountpassword: Buffer.from(SERVICE_ACCOUNT.password).toString('base64') },
  })
  reviews = directoryBindReviews(kube, pino({ level: 'silent' }))
}, 120_000)
afterAll(async () => {
  await slapd?.stop()
  await cluster?.[Symbol.asyncDispose]()
})

const user = { name: 'system:drover:edge', groups: ['system:authenticated'], extra: {} }

async function review(spec: Record<string, unknown>): Promise<DirectoryBindReview> {
  const body = { apiVersion: EXT_API_VERSION, kind: 'DirectoryBindReview', spec: { provider: 'openldap', ...spec } }
  return (await reviews.create!({ body, user, dryRun: false, signal: AbortSignal.timeout(10_000) })) as DirectoryBindReview
}

describe('directorybindreviews', () => {
  it('refuses while the stored provider is not enabled, and names why', async () => {
    await storeConfig(false)
    const out = await review({ username: 'alice', password: USERS.alice.password })
    expect(out.status).toEqual({ authenticated: false, refusal: 'Invalid', message: 'auth provider openldap is not enabled' })
  })

  it('logs a user in with the stored config and the password from its Secret, groups nested, password not echoed', async () => {
    await storeConfig(true)
    const out = await review({ username: 'alice', password: USERS.alice.password })
    expect(out.status?.authenticated).toBe(true)
    expect(out.status?.user).toMatchObject({ id: `openldap_user://${USERS.alice.dn}`, principalType: 'user', provider: 'openldap', loginName: 'alice' })
    expect(out.status?.groups?.map((g) => g.id).sort()).toEqual([GROUP_DNS.admins, GROUP_DNS.developers, GROUP_DNS.everyone].map((dn) => `openldap_group://${dn}`).sort())
    expect(out.spec.password).toBe('')
  })

  it('gives one answer for a wrong password, an unknown user, a disabled user and a filter injection', async () => {
    for (const [username, password] of [['alice', 'wrong'], ['nobody', 'x'], ['carol', USERS.carol.password], ['*)(uid=*', USERS.alice.password], ['alice*', USERS.alice.password], ['alice', '']]) {
      const out = await review({ username, password })
      expect(out.status, `${username}`).toEqual({ authenticated: false, refusal: 'Unauthorized', message: 'authentication failed' })
    }
  })

  it('binds with a candidate config (testAndApply), its own password or else the stored one', async () => {
    await storeConfig(false)
    const ok = await review({ username: 'bob', password: USERS.bob.password, config: { ...fields(), serviceAccountPassword: SERVICE_ACCOUNT.password } })
    expect(ok.status?.authenticated).toBe(true)
    const stored = await review({ username: 'bob', password: USERS.bob.password, config: fields() })
    expect(stored.status?.authenticated).toBe(true)
    const wrongAccount = await review({ username: 'bob', password: USERS.bob.password, config: { ...fields(), serviceAccountPassword: 'not-it' } })
    expect(wrongAccount.status).toMatchObject({ authenticated: false, refusal: 'Misconfigured' })
    const unreachable = await review({ username: 'bob', password: USERS.bob.password, config: { ...fields(), port: 1, connectionTimeout: 1000 } })
    expect(unreachable.status).toMatchObject({ authenticated: false, refusal: 'Unavailable' })
    const invalid = await review({ username: 'bob', password: USERS.bob.password, config: { ...fields(), tls: true, starttls: true } })
    expect(invalid.status).toMatchObject({ authenticated: false, refusal: 'Invalid' })
    expect(invalid.status?.message).toMatch(/starttls/)
  })

  it('never uses a Secret other than its own, whatever the AuthConfig names', async () => {
    await kube.create(SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'elsewhere', namespace: 'default' }, data: { serviceaccountpassword: Buffer.from(SERVICE_ACCOUNT.password).toString('base64') } })
    expect(await kube.delete(SECRET, 'openldapconfig-serviceaccountpassword', { namespace: 'cattle-global-data' })).toBe(true)
    await storeConfig(true, { serviceAccountPassword: 'default:elsewhere' })
    const out = await review({ username: 'alice', password: USERS.alice.password })
    // Not an anonymous bind with an empty password either (slapd would accept that and let the search run).
    expect(out.status).toEqual({ authenticated: false, refusal: 'Invalid', message: 'auth provider openldap has no service account password stored; set serviceAccountPassword' })
  })

  it('answers a malformed review with a 400 naming the field', async () => {
    const bad = (spec: unknown) => reviews.create!({ body: { apiVersion: EXT_API_VERSION, kind: 'DirectoryBindReview', spec }, user, dryRun: false, signal: AbortSignal.timeout(5000) })
    await expect(bad({ provider: 'nis', username: 'a', password: 'b' })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/^spec\.provider: /) })
    await expect(bad({ provider: 'openldap', username: 'a'.repeat(300), password: 'b' })).rejects.toBeInstanceOf(StatusError)
    await expect(bad({ provider: 'openldap', username: 'a', password: 'b'.repeat(2000) })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/spec\.password/) })
  })
})
