// The settings and refusals of Rancher's ext resources that the full stack cannot show (its runner seeds
// server-url): a lite management cluster with drover's CRDs and RBAC, the extension server behind the
// aggregator, and a drover user impersonated by kubectl (as the edge's agent would).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extResources } from '../ext-apiserver/resources.ts'
import { managementRbac } from '../infra/management/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'

let cluster: DevCluster
let ext: TestExtApiServer
const USER = 'u-settings1'
const asUser = ['--as', USER, '--as-group', 'system:cattle:authenticated', '--as-group', 'system:authenticated']
const apply = async (objects: object[]) => {
  const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
  expect(r.code, r.stderr).toBe(0)
}
const setting = (name: string, value: string) => ({ apiVersion: 'management.cattle.io/v3', kind: 'Setting', metadata: { name }, value })
const token = (spec: object) => JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'Token', spec })
const tokenCount = async () => (await cluster.kubectl(['get', 'tokens.management.cattle.io', '-o', 'name'])).stdout.split('\n').filter(Boolean).length

beforeAll(async () => {
  cluster = await devCluster('ext-settings', { mode: 'lite' })
  await apply(managementRbac())
  await apply([{ apiVersion: 'management.cattle.io/v3', kind: 'User', metadata: { name: USER }, username: 'settings1', displayName: 'Settings One', principalIds: [`local://${USER}`] }])
  ext = await startTestExtApiServer(cluster, extResources)
}, 180_000)
afterAll(async () => {
  await Promise.resolve(ext?.[Symbol.asyncDispose]()).catch(() => {})
  await cluster?.[Symbol.asyncDispose]()
})

describe('ext resources and their settings', () => {
  it('a kubeconfig needs the server-url setting (422 naming it)', async () => {
    const r = await cluster.kubectl([...asUser, 'create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'Kubeconfig', spec: { clusters: ['local'] } }) })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/server-url setting is not set/)
  })

  it('a token TTL is capped by auth-token-max-ttl-minutes, and is the maximum when not given', async () => {
    await apply([setting('auth-token-max-ttl-minutes', '60')])
    const over = await cluster.kubectl([...asUser, 'create', '-f', '-'], { input: token({ ttl: 3_600_001 }) })
    expect(over.stderr).toMatch(/spec\.ttl: 3600001 ms exceeds auth-token-max-ttl-minutes/)
    const made = await cluster.kubectl([...asUser, 'create', '-f', '-', '-o', 'json'], { input: token({}) })
    expect(made.code, made.stderr).toBe(0)
    const t = JSON.parse(made.stdout) as { spec: { ttl: number; userID: string }; status: { expiresAt: string } }
    expect(t.spec).toMatchObject({ ttl: 3_600_000, userID: USER })
    expect(Date.parse(t.status.expiresAt)).toBeGreaterThan(Date.now())
  })

  it('a server dry run stores nothing and answers no secret', async () => {
    const before = await tokenCount()
    const dry = await cluster.kubectl([...asUser, 'create', '--dry-run=server', '-f', '-', '-o', 'json'], { input: token({ description: 'dry' }) })
    expect(dry.code, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout).status.value).toBeUndefined()
    expect(await tokenCount()).toBe(before)
  })

  it('refuses a disabled user and a password change while no peppers are configured', async () => {
    const change = await cluster.kubectl([...asUser, 'create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'PasswordChangeRequest', spec: { userID: USER, currentPassword: 'x', newPassword: 'a long enough password' } }) })
    expect(change.stderr).toMatch(/no DROVER_PASSWORD_PEPPERS/)
    await apply([{ apiVersion: 'management.cattle.io/v3', kind: 'User', metadata: { name: USER }, username: 'settings1', enabled: false }])
    const r = await cluster.kubectl([...asUser, 'create', '-f', '-'], { input: token({}) })
    expect(r.stderr).toMatch(/user u-settings1 is disabled/)
  })
})
