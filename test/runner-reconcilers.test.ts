// The reconcilers against a real (lite) management cluster, driven pass by pass (no runtime): settings,
// built-ins, Clusters and their registration, conditions, deletion, tokens, global roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster, ClusterRegistrationToken, ClusterRoleTemplateBinding, GlobalRole, RoleTemplate, Setting } from '../protocol/crds/index.ts'
import { builtinGlobalRoles, builtinRoleTemplates, downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { FULL_RECONCILE_MS } from '../controller-runner/reconcilers/cluster.ts'
import { decodeTokenState } from '../controller-runner/reconcilers/registration.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, NAMESPACE, SECRET, type KubeObject } from '../protocol/kube/index.ts'
import { forEachLimited } from '../controller-runner/reconcilers/limit.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { asList, Harness } from './runner-reconcilers.support.ts'
import { ManualClock } from './support/manual-clock.ts'

const CLUSTER = mgmt('Cluster')
const CRT = mgmt('ClusterRegistrationToken')
const SETTING = mgmt('Setting')
const TOKEN = mgmt('Token')
const MINUTE = 60_000

const cluster = (name: string, annotations: Record<string, string> = {}): Cluster => ({
  apiVersion: 'management.cattle.io/v3',
  kind: 'Cluster',
  metadata: { name, annotations },
  spec: { displayName: name },
})

interface Secret extends KubeObject {
  type?: string
  data?: Record<string, string>
}

describe('controller-runner reconcilers: management cluster', () => {
  let mc: DevCluster
  let h: Harness
  // Reconcilers set no timers: tick() only moves time.
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'))
  const deleted: string[] = []

  beforeAll(async () => {
    mc = await devCluster('rr-mgmt', { mode: 'lite' })
    h = new Harness({ management: mc.kubeConfig, serverUrl: 'https://drover.example', clock, onClusterDeleted: async (id) => void deleted.push(id) })
    const rbac = await mc.kubectl(['apply', '-f', '-'], { input: asList([...managementRbac(), ...downstreamRbac()]) })
    expect(rbac.code, rbac.stderr).toBe(0)
    await h.reconcilers.seed()
  })
  afterAll(async () => {
    h?.close()
    await mc?.[Symbol.asyncDispose]()
  })

  it('seeds settings, and a changed value is read without a restart', async () => {
    const ttl = await h.client.find<Setting>(SETTING, 'cluster-registration-token-ttl-minutes')
    expect(ttl).toMatchObject({ default: '43200', value: '' })
    expect((await h.client.find<Setting>(SETTING, 'server-url'))?.default).toBe('https://drover.example')
    expect((await h.client.find<Setting>(SETTING, 'agent-image'))?.default).toBe('ghcr.io/drover-dev/drover:v0.1.0')
    await h.refresh()
    expect(h.reconcilers.settings.get('cluster-registration-token-grace-minutes')).toBe('60')
    // An administrator's value wins, and is never overwritten; a tampered default is put back.
    const r = await mc.kubectl(['patch', 'settings.management.cattle.io', 'cluster-registration-token-grace-minutes', '--type=merge', '-p', '{"value":"5","default":"7"}'])
    expect(r.code, r.stderr).toBe(0)
    await h.settle({ only: ['settings'] })
    await h.refresh()
    expect(h.reconcilers.settings.get('cluster-registration-token-grace-minutes')).toBe('5')
    expect(await h.client.find<Setting>(SETTING, 'cluster-registration-token-grace-minutes')).toMatchObject({ value: '5', default: '60' })
    await mc.kubectl(['patch', 'settings.management.cattle.io', 'cluster-registration-token-grace-minutes', '--type=merge', '-p', '{"value":""}'])
  })

  it('seeds the built-in roles and keeps them equal to the data', async () => {
    for (const g of builtinGlobalRoles) expect((await h.client.find<GlobalRole>(mgmt('GlobalRole'), g.metadata.name!))?.rules).toEqual(g.rules)
    for (const t of builtinRoleTemplates) expect(await h.client.find<RoleTemplate>(mgmt('RoleTemplate'), t.metadata.name!)).toMatchObject({ builtin: true, context: t.context })
    expect((await h.settle({ only: ['builtin-globalroles', 'builtin-roletemplates'] })).writes).toBe(0)
    await mc.kubectl(['patch', 'roletemplates.management.cattle.io', 'cluster-member', '--type=merge', '-p', '{"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}'])
    await mc.kubectl(['delete', 'globalroles.management.cattle.io', 'user-base'])
    await h.settle({ only: ['builtin-globalroles', 'builtin-roletemplates'] })
    const member = await h.client.find<RoleTemplate>(mgmt('RoleTemplate'), 'cluster-member')
    expect(member?.rules).toEqual(builtinRoleTemplates.find((t) => t.metadata.name === 'cluster-member')!.rules)
    expect(await h.client.find(mgmt('GlobalRole'), 'user-base')).toBeDefined()
  })

  it('materialises GlobalRoles and GlobalRoleBindings as ClusterRoles and bindings', async () => {
    await h.client.create(mgmt('GlobalRoleBinding'), { apiVersion: 'management.cattle.io/v3', kind: 'GlobalRoleBinding', metadata: { name: 'grb-alice' }, userName: 'u-alice', globalRoleName: 'user' })
    await h.settle({ only: ['globalroles', 'globalrolebindings'] })
    const role = await h.client.find<KubeObject & { rules: unknown }>(CLUSTER_ROLE, 'cattle-globalrole-user')
    expect(role?.rules).toEqual(builtinGlobalRoles.find((g) => g.metadata.name === 'user')!.rules)
    const crb = await h.client.find<KubeObject & { roleRef: { name: string }; subjects: unknown[] }>(CLUSTER_ROLE_BINDING, 'cattle-globalrolebinding-grb-alice')
    expect(crb?.roleRef.name).toBe('cattle-globalrole-user')
    expect(crb?.subjects).toEqual([{ kind: 'User', name: 'u-alice', apiGroup: 'rbac.authorization.k8s.io' }])
    // alice may now create clusters in the management cluster, and not delete them.
    expect((await mc.kubectl(['auth', 'can-i', 'create', 'clusters.management.cattle.io', '--as=u-alice'])).stdout.trim()).toBe('yes')
    expect((await mc.kubectl(['auth', 'can-i', 'delete', 'clusters.management.cattle.io', '--as=u-alice'])).stdout.trim()).toBe('no')
    await h.client.delete(mgmt('GlobalRoleBinding'), 'grb-alice')
    await h.settle({ only: ['globalrolebindings'] })
    expect(await h.client.find(mgmt('GlobalRoleBinding'), 'grb-alice')).toBeUndefined()
    expect(await h.client.find(CLUSTER_ROLE_BINDING, 'cattle-globalrolebinding-grb-alice')).toBeUndefined()
  })

  it('gives each of 200 Clusters created at once a CRT, its Secret and a manifest URL', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `c-bulk${String(i).padStart(3, '0')}`)
    await forEachLimited(ids, 16, (id) => h.client.create(CLUSTER, cluster(id)).then(() => {}))
    const report = await h.settle({ only: ['clusters'] })
    expect(report.errors).toEqual([])
    const crts = (await h.client.list<ClusterRegistrationToken>(CRT)).items
    const byCluster = new Map(crts.map((c) => [c.metadata.namespace!, c]))
    const tokens = new Set<string>()
    await forEachLimited(ids, 16, async (id) => {
      const crt = byCluster.get(id)
      expect(crt?.metadata.name).toBe('default-token')
      const secret = await h.client.find<Secret>(SECRET, 'registration-default-token', id)
      expect(secret?.type).toBe('drover.io/registration-token')
      const state = decodeTokenState(secret?.data)!
      expect(state.token).toMatch(/^[a-z0-9]{54}$/)
      tokens.add(state.token)
      expect(crt?.status).toEqual({
        token: state.token,
        manifestUrl: `https://drover.example/v3/import/${state.token}_${id}.yaml`,
        command: `kubectl apply -f https://drover.example/v3/import/${state.token}_${id}.yaml`,
        insecureCommand: `curl --insecure -sfL https://drover.example/v3/import/${state.token}_${id}.yaml | kubectl apply -f -`,
        expiresAt: new Date(clock.now() + 43200 * MINUTE).toISOString().replace('.000Z', 'Z'),
      })
    })
    expect(tokens.size).toBe(200)
    // Level-based and idempotent: another pass over all 200 writes nothing.
    expect((await h.pass(['clusters'])).writes).toBe(0)
  })

  it('rotates the registration token at expiry and keeps the previous one for the grace period', async () => {
    const id = 'c-bulk000'
    const before = decodeTokenState((await h.client.find<Secret>(SECRET, 'registration-default-token', id))!.data)!
    clock.tick(43200 * MINUTE)
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    const rotated = decodeTokenState((await h.client.find<Secret>(SECRET, 'registration-default-token', id))!.data)!
    expect(rotated.token).not.toBe(before.token)
    expect(rotated.previousToken).toBe(before.token)
    expect(Date.parse(rotated.previousExpiresAt!)).toBe(clock.now() + 60 * MINUTE)
    expect((await h.client.find<ClusterRegistrationToken>(CRT, 'default-token', id))?.status?.manifestUrl).toContain(rotated.token)
    clock.tick(61 * MINUTE)
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    const after = decodeTokenState((await h.client.find<Secret>(SECRET, 'registration-default-token', id))!.data)!
    expect(after.token).toBe(rotated.token)
    expect(after.previousToken).toBeUndefined()
  })

  it('skips the API on a settled Cluster, and still repairs a deleted Secret within the full-reconcile period', async () => {
    const id = 'c-bulk001'
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    await h.client.delete(SECRET, 'registration-default-token', { namespace: id })
    // Settled by the caches: the fast path reads nothing, so it cannot see the Secret go.
    await h.pass(['clusters'], (r) => r.name === id)
    expect(await h.client.find<Secret>(SECRET, 'registration-default-token', id)).toBeUndefined()
    clock.tick(FULL_RECONCILE_MS + 1)
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    const restored = await h.client.find<Secret>(SECRET, 'registration-default-token', id)
    expect(decodeTokenState(restored!.data)?.token).toMatch(/^[a-z0-9]{54}$/)
  })

  it('derives Connected and Ready from status.connected and the agent facts', async () => {
    const id = 'c-cond'
    await h.client.create(CLUSTER, cluster(id))
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    const conds = async () => (await h.client.find<Cluster>(CLUSTER, id))!.status!.conditions!
    expect(await conds()).toMatchObject([{ type: 'Connected', status: 'False' }, { type: 'Ready', status: 'False', reason: 'Disconnected' }])
    const firstTransition = (await conds())[0]!.lastTransitionTime
    clock.tick(5_000)
    await h.client.patch(CLUSTER, id, { status: { connected: true } }, { subresource: 'status' })
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    expect(await conds()).toMatchObject([{ type: 'Connected', status: 'True' }, { type: 'Ready', status: 'False', reason: 'WaitingForFacts' }])
    expect((await conds())[0]!.lastTransitionTime).not.toBe(firstTransition)
    const connectedAt = (await conds())[0]!.lastTransitionTime
    clock.tick(5_000)
    await h.client.patch(CLUSTER, id, { status: { version: { gitVersion: 'v1.37.2' }, nodeCount: 1 } }, { subresource: 'status' })
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    expect(await conds()).toMatchObject([{ type: 'Connected', status: 'True', lastTransitionTime: connectedAt }, { type: 'Ready', status: 'True' }])
    await h.client.patch(CLUSTER, id, { status: { connected: false } }, { subresource: 'status' })
    await h.settle({ only: ['clusters'], requests: (r) => r.name === id })
    expect(await conds()).toMatchObject([{ type: 'Connected', status: 'False' }, { type: 'Ready', status: 'False', reason: 'Disconnected' }])
  })

  it('binds the creator as cluster owner, and cleans up on deletion before letting the Cluster go', async () => {
    const id = 'c-owned'
    await h.client.create(CLUSTER, cluster(id, { 'field.cattle.io/creatorId': 'u-bob' }))
    await h.settle({ only: ['clusters', 'clusterroletemplatebindings'], requests: (r) => r.name === id || r.namespace === id })
    const crtb = await h.client.find<ClusterRoleTemplateBinding>(mgmt('ClusterRoleTemplateBinding'), 'creator-cluster-owner', id)
    expect(crtb).toMatchObject({ roleTemplateName: 'cluster-owner', userName: 'u-bob', clusterName: id })
    expect((await h.client.find<Cluster>(CLUSTER, id))?.metadata.finalizers).toContain('drover.io/cluster-cleanup')
    // The CRTB's management side: bob may get, update and delete this cluster, and manage its bindings.
    expect((await mc.kubectl(['auth', 'can-i', 'delete', `clusters.management.cattle.io/${id}`, '--as=u-bob'])).stdout.trim()).toBe('yes')
    expect((await mc.kubectl(['auth', 'can-i', 'get', 'clusters.management.cattle.io/c-cond', '--as=u-bob'])).stdout.trim()).toBe('no')
    expect((await mc.kubectl(['auth', 'can-i', 'create', 'clusterroletemplatebindings.management.cattle.io', '-n', id, '--as=u-bob'])).stdout.trim()).toBe('yes')

    await h.client.delete(CLUSTER, id)
    await h.settle({ only: ['clusters', 'clusterroletemplatebindings'], requests: (r) => r.name === id || r.namespace === id })
    expect(await h.client.find(CLUSTER, id)).toBeUndefined()
    expect(await h.client.find(CRT, 'default-token', id)).toBeUndefined()
    expect(await h.client.find(SECRET, 'registration-default-token', id)).toBeUndefined()
    expect(await h.client.find(CLUSTER_ROLE, `${id}-clusterowner`)).toBeUndefined()
    expect(await h.client.find(CLUSTER_ROLE_BINDING, `crtb-${id}-creator-cluster-owner`)).toBeUndefined()
    // A lite cluster has no namespace controller: the namespace is terminating, not gone.
    const ns = await h.client.find(NAMESPACE, id)
    expect(ns === undefined || Boolean(ns.metadata.deletionTimestamp)).toBe(true)
    expect(deleted).toContain(id)
  })

  it('deletes a Token once it has expired, not before', async () => {
    const token = (name: string, expiresAt: string) => ({ apiVersion: 'management.cattle.io/v3', kind: 'Token', metadata: { name }, userId: 'u-x', authProvider: 'local', expiresAt, token: 'hash' })
    await h.client.create(TOKEN, token('token-old', new Date(clock.now() - 1000).toISOString()))
    await h.client.create(TOKEN, token('token-new', new Date(clock.now() + 10 * MINUTE).toISOString()))
    await h.client.create(TOKEN, token('token-forever', ''))
    await h.settle({ only: ['tokens'] })
    expect(await h.client.find(TOKEN, 'token-old')).toBeUndefined()
    expect(await h.client.find(TOKEN, 'token-new')).toBeDefined()
    expect(await h.client.find(TOKEN, 'token-forever')).toBeDefined()
    await h.refresh()
    const tokens = h.reconcilers.specs.find((s) => s.name === 'tokens')!
    expect(await tokens.reconciler.reconcile({ name: 'token-new' })).toEqual({ requeueAfter: 10 * MINUTE + 500 })
    clock.tick(10 * MINUTE)
    await h.settle({ only: ['tokens'] })
    expect(await h.client.find(TOKEN, 'token-new')).toBeUndefined()
    expect(await h.client.find(TOKEN, 'token-forever')).toBeDefined()
  })

  it("gets the cleanup finalizer from admission as it is created (once; updates untouched), so the runner's first reconcile need not add it", async () => {
    const FIN = 'drover.io/cluster-cleanup'
    const create = async (name: string, finalizers?: string[]) => {
      const r = await mc.kubectl(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify({ ...cluster(name), metadata: { name, ...(finalizers ? { finalizers } : {}) } }) })
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as Cluster).metadata.finalizers
    }
    // No reconciler runs here: what the create returns is what admission made of the request.
    expect(await create('c-adm01')).toEqual([FIN])
    expect(await create('c-adm02', [FIN])).toEqual([FIN])
    expect(await create('c-adm03', ['example.com/keep'])).toEqual(['example.com/keep', FIN])
    expect(await create('c-adm04', ['example.com/keep', FIN])).toEqual(['example.com/keep', FIN])
    // A writer the policies do not trust may create a Cluster (the edge creates as the impersonated user):
    // drover-runner-owned accepts the finalizer admission added, and still refuses any other drover.io/ one.
    await mc.kubectl(['create', 'clusterrole', 'adm-clusters', '--verb=create,get', '--resource=clusters.management.cattle.io'])
    await mc.kubectl(['create', 'clusterrolebinding', 'adm-clusters', '--clusterrole=adm-clusters', '--user=u-dana'])
    const asDana = (obj: unknown) => mc.kubectl(['--as', 'u-dana', '--as-group', 'system:authenticated', 'create', '-o', 'json', '-f', '-'], { input: JSON.stringify(obj) })
    const dana = await asDana(cluster('c-adm05'))
    expect(dana.code, dana.stderr).toBe(0)
    expect((JSON.parse(dana.stdout) as Cluster).metadata.finalizers).toEqual([FIN])
    const forged = await asDana({ ...cluster('c-adm06'), metadata: { name: 'c-adm06', finalizers: ['drover.io/downstream-cleanup'] } })
    expect(forged.code).not.toBe(0)
    expect(forged.stderr).toContain('finalizers')
    // Updates are left alone: a finalizer removed stays removed until the runner puts it back.
    const strip = await mc.kubectl(['patch', 'clusters.management.cattle.io', 'c-adm01', '--type=merge', '-o', 'json', '-p', '{"metadata":{"finalizers":null}}'])
    expect(strip.code, strip.stderr).toBe(0)
    expect((JSON.parse(strip.stdout) as Cluster).metadata.finalizers).toBeUndefined()
    // The runner still adds it where it is missing.
    await h.settle({ only: ['clusters'], requests: (r) => r.name === 'c-adm01' })
    expect((await h.client.find<Cluster>(CLUSTER, 'c-adm01'))?.metadata.finalizers).toEqual([FIN])
  })
})
