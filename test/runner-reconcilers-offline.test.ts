// Issue 11, item 6: one offline cluster must not stall everyone. A Cluster whose agent is gone (its status
// still says connected, so the runner tries it and the edge answers 503) sits beside a reachable one; a
// new standard user's GlobalRoleBinding and a new admin's still reconcile at once, the standard user can
// create a cluster, the reachable cluster gets its downstream binding, and the offline cluster's failure
// is reported under its own key only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLUSTER_ROLE_BINDING, mgmt, type KubeObject } from '../protocol/kube/index.ts'
import type { DevCluster } from './support/dev-cluster.ts'
import { downstreamStack, type DownstreamStack, type Harness, type PassReport } from './runner-reconcilers.support.ts'

const RUNNER_TOKEN = 'token-runner:ro-secret'
const UP = 'c-up'
const OFF = 'c-off'
const CLUSTER = mgmt('Cluster')
const GRB = mgmt('GlobalRoleBinding')

describe('controller-runner reconcilers: an offline cluster delays only itself', () => {
  let stack: DownstreamStack
  let mc: DevCluster
  let down: DevCluster
  let h: Harness
  const errorsOf = (r: PassReport) => r.errors.map((e) => `${e.controller} ${e.request.namespace ? `${e.request.namespace}/` : ''}${e.request.name}: ${String(e.error)}`)

  beforeAll(async () => {
    stack = await downstreamStack('ro', UP, RUNNER_TOKEN)
    ;({ mc, down, h } = stack)
    // Both say connected, as the edge last reported; only c-up has an agent behind it.
    for (const id of [UP, OFF]) {
      await h.client.create(CLUSTER, { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: id }, spec: {} })
      await h.client.patch(CLUSTER, id, { status: { connected: true } }, { subresource: 'status' })
    }
  })
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]()
  })

  it('reconciles new GlobalRoleBindings at once; only the offline cluster fails, under its own key', async () => {
    await h.client.create(GRB, { apiVersion: 'management.cattle.io/v3', kind: 'GlobalRoleBinding', metadata: { name: 'grb-std' }, userName: 'u-std', globalRoleName: 'user' })
    await h.client.create(GRB, { apiVersion: 'management.cattle.io/v3', kind: 'GlobalRoleBinding', metadata: { name: 'grb-boss' }, userName: 'u-boss', globalRoleName: 'admin' })
    // Two passes: the first materialises, the second sees a settled state (and the same lone failure).
    const first = await h.pass()
    const second = await h.pass()
    for (const r of [first, second]) {
      const errors = errorsOf(r)
      expect(errors.filter((e) => !e.startsWith(`downstream ${OFF}:`))).toEqual([])
      const offline = errors.filter((e) => e.startsWith(`downstream ${OFF}:`))
      expect(offline).toHaveLength(1)
      expect(offline[0]).toMatch(/503 .*not connected/)
    }

    // The standard user's management RBAC: it may create clusters (and, once it has, own that one).
    expect(await h.client.find(CLUSTER_ROLE_BINDING, 'cattle-globalrolebinding-grb-std')).toBeDefined()
    const create = await mc.kubectl(['create', '-f', '-', '--as=u-std', '-o', 'jsonpath={.metadata.name}'], {
      input: JSON.stringify({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { generateName: 'c-', annotations: { 'field.cattle.io/creatorId': 'u-std' } }, spec: {} }),
    })
    expect(create.code, create.stderr).toBe(0)
    const mine = create.stdout.trim()
    // Two passes: the Cluster's reconcile makes its creator's binding, the binding's makes the RBAC.
    for (let i = 0; i < 2; i++) expect(errorsOf(await h.pass()).filter((e) => !e.startsWith(`downstream ${OFF}:`))).toEqual([])
    expect((await mc.kubectl(['auth', 'can-i', 'delete', `clusters.management.cattle.io/${mine}`, '--as=u-std'])).stdout.trim()).toBe('yes')

    // The reachable cluster has the admin's downstream binding, and drift there is still repaired.
    const crb = JSON.parse((await down.kubectl(['get', 'clusterrolebinding', 'globaladmin-grb-boss', '-o', 'json'])).stdout) as KubeObject & { roleRef: { name: string } }
    expect(crb.roleRef.name).toBe('cluster-owner')
    expect((await down.kubectl(['delete', 'clusterrolebinding', 'globaladmin-grb-boss'])).code).toBe(0)
    expect(errorsOf(await h.pass()).filter((e) => !e.startsWith(`downstream ${OFF}:`))).toEqual([])
    expect((await down.kubectl(['get', 'clusterrolebinding', 'globaladmin-grb-boss'])).code).toBe(0)
  })
})
