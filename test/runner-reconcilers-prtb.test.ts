// A ProjectRoleTemplateBinding's management side (controller-runner/reconcilers/prtb-access.ts) against a
// real (lite) management cluster, driven pass by pass: the member may get their Project and its Cluster,
// nothing else; the grant is named for the binding and goes with it; a binding out of its project's scope
// grants nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { CLUSTER_ROLE_BINDING, mgmt, ROLE, ROLE_BINDING, type KubeObject } from '../protocol/kube/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { asList, Harness } from './runner-reconcilers.support.ts'

const C = 'c-prtb'
const PRTB = mgmt('ProjectRoleTemplateBinding')
const PROJECT = mgmt('Project')

describe('controller-runner reconcilers: a PRTB lets its subject see its Project', () => {
  let mc: DevCluster
  let h: Harness
  const can = async (user: string, verb: string, what: string, ns?: string) =>
    (await mc.kubectl(['auth', 'can-i', verb, what, `--as=${user}`, ...(ns ? ['-n', ns] : [])])).stdout.trim()
  const prtb = (name: string, project: string, user: string, projectName = `${C}:${project}`) => ({
    apiVersion: 'management.cattle.io/v3', kind: 'ProjectRoleTemplateBinding', metadata: { name, namespace: project }, projectName, roleTemplateName: 'project-member', userName: user,
  })

  beforeAll(async () => {
    mc = await devCluster('rr-prtb', { mode: 'lite' })
    h = new Harness({ management: mc.kubeConfig })
    const rbac = await mc.kubectl(['apply', '-f', '-'], { input: asList([...managementRbac(), ...downstreamRbac()]) })
    expect(rbac.code, rbac.stderr).toBe(0)
    await h.reconcilers.seed()
    await h.client.create(mgmt('Cluster'), { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: C }, spec: { displayName: C } })
    await h.settle() // the cluster's namespace, where its projects live
    for (const p of ['p-one', 'p-two']) await h.client.create(PROJECT, { apiVersion: 'management.cattle.io/v3', kind: 'Project', metadata: { name: p, namespace: C }, spec: { clusterName: C, displayName: p } })
    expect((await h.settle()).errors).toEqual([])
  })
  afterAll(async () => {
    h?.close()
    await mc?.[Symbol.asyncDispose]()
  })

  it('grants get on the Project and its Cluster only, and takes it back when the binding goes', async () => {
    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-one', C)).toBe('no')
    await h.client.create(PRTB, prtb('pat-member', 'p-one', 'u-pat'))
    expect((await h.settle()).errors).toEqual([])

    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-one', C)).toBe('yes')
    expect(await can('u-pat', 'get', `clusters.management.cattle.io/${C}`)).toBe('yes')
    // Not the other project, not a list, not a write, not the cluster's other objects.
    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-two', C)).toBe('no')
    expect(await can('u-pat', 'list', 'projects.management.cattle.io', C)).toBe('no')
    expect(await can('u-pat', 'update', 'projects.management.cattle.io/p-one', C)).toBe('no')
    expect(await can('u-pat', 'delete', `clusters.management.cattle.io/${C}`)).toBe('no')
    expect(await can('u-pat', 'list', 'clusterroletemplatebindings.management.cattle.io', C)).toBe('no')

    // Named for the binding, in the cluster's namespace, owned by the Project (the binding cannot own
    // across namespaces: its finalizer removes them).
    const name = 'prtb-p-one-pat-member'
    const role = await h.client.get<KubeObject>(ROLE, name, C)
    expect(role.metadata.ownerReferences).toMatchObject([{ kind: 'Project', name: 'p-one' }])
    expect(role.metadata.labels).toMatchObject({ 'drover.io/prtb': 'p-one.pat-member', 'drover.io/cluster': C })
    expect((await h.client.get<KubeObject & { metadata: { finalizers?: string[] } }>(PRTB, 'pat-member', 'p-one')).metadata.finalizers).toContain('drover.io/downstream-cleanup')
    expect((await h.settle()).writes).toBe(0)

    // Drift: a deleted RoleBinding comes back.
    await h.client.delete(ROLE_BINDING, name, { namespace: C })
    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-one', C)).toBe('no')
    await h.settle()
    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-one', C)).toBe('yes')

    await h.client.delete(PRTB, 'pat-member', { namespace: 'p-one' })
    expect((await h.settle()).errors).toEqual([])
    expect(await h.client.find(PRTB, 'pat-member', 'p-one')).toBeUndefined()
    expect(await h.client.find(ROLE, name, C)).toBeUndefined()
    expect(await h.client.find(ROLE_BINDING, name, C)).toBeUndefined()
    expect(await h.client.find(CLUSTER_ROLE_BINDING, name)).toBeUndefined()
    expect(await can('u-pat', 'get', 'projects.management.cattle.io/p-one', C)).toBe('no')
    expect(await can('u-pat', 'get', `clusters.management.cattle.io/${C}`)).toBe('no')
  })

  it('a binding naming another project than the one it lives in grants nothing', async () => {
    await h.client.create(PRTB, prtb('sly', 'p-one', 'u-sly', `${C}:p-two`)).catch(() => undefined) // admission may refuse it outright
    const r = await h.settle()
    if (await h.client.find(PRTB, 'sly', 'p-one')) expect(r.errors.map((e) => String(e.error))).toEqual([expect.stringMatching(/ScopeMismatch|is not the project/)])
    expect(await can('u-sly', 'get', 'projects.management.cattle.io/p-two', C)).toBe('no')
    expect(await can('u-sly', 'get', 'projects.management.cattle.io/p-one', C)).toBe('no')
  })
})
