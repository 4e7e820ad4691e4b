// RBAC materialisation end to end: management cluster (lite) → reconcilers → the edge in workerd → a real
// `drover agent` → a downstream cluster (lite), checked with kubectl impersonating the users directly
// against the downstream apiserver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TerminalError } from '../controller-runner/runtime/types.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, NAMESPACE, ROLE_BINDING, type KubeObject } from '../protocol/kube/index.ts'
import type { DevCluster } from './support/dev-cluster.ts'
import { downstreamStack, type DownstreamStack, type Harness } from './runner-reconcilers.support.ts'

const RUNNER_TOKEN = 'token-runner:rr-secret'
const C = 'c-down'
const CRTB = mgmt('ClusterRoleTemplateBinding')
const PRTB = mgmt('ProjectRoleTemplateBinding')
const GRB = mgmt('GlobalRoleBinding')
const RT = mgmt('RoleTemplate')

type Rules = KubeObject & { rules: { verbs: string[]; resources?: string[] }[] }

describe('controller-runner reconcilers: RBAC through the edge', () => {
  let stack: DownstreamStack
  let mc: DevCluster
  let down: DevCluster
  let h: Harness
  const can = async (user: string, ...args: string[]) =>
    (await down.kubectl(['auth', 'can-i', ...args, `--as=${user}`, '--as-group=system:authenticated'])).stdout.trim().startsWith('yes')

  beforeAll(async () => {
    stack = await downstreamStack('rrb', C, RUNNER_TOKEN)
    ;({ mc, down, h } = stack)
    await h.client.create(mgmt('Cluster'), { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: C }, spec: {} })
    // What the edge does when the agent connects.
    await h.client.patch(mgmt('Cluster'), C, { status: { connected: true } }, { subresource: 'status' })
    await h.settle()
  })
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]()
  })

  it('a cluster-member CRTB lets the user read pods (not secrets); drift is repaired; deletion takes the right away', async () => {
    expect(await can('u-carol', 'list', 'pods', '-A')).toBe(false)
    await h.client.create(CRTB, { apiVersion: 'management.cattle.io/v3', kind: 'ClusterRoleTemplateBinding', metadata: { name: 'carol-member', namespace: C }, clusterName: C, roleTemplateName: 'cluster-member', userName: 'u-carol' })
    expect((await h.settle()).errors).toEqual([])
    const pods = await down.kubectl(['get', 'pods', '-A', '--as=u-carol', '--as-group=system:authenticated'])
    expect(pods.code, pods.stderr).toBe(0)
    expect(await can('u-carol', 'list', 'secrets', '-A')).toBe(false)
    // The management side: get on this cluster only.
    expect((await mc.kubectl(['auth', 'can-i', 'get', `clusters.management.cattle.io/${C}`, '--as=u-carol'])).stdout.trim()).toBe('yes')
    expect((await mc.kubectl(['auth', 'can-i', 'delete', `clusters.management.cattle.io/${C}`, '--as=u-carol'])).stdout.trim()).toBe('no')

    // Drift: the binding and the role deleted by hand downstream come back on the next reconcile.
    expect((await down.kubectl(['delete', 'clusterrolebinding', 'crtb-carol-member'])).code).toBe(0)
    expect((await down.kubectl(['delete', 'clusterrole', 'cluster-member'])).code).toBe(0)
    expect(await can('u-carol', 'list', 'pods', '-A')).toBe(false)
    await h.settle()
    expect(await can('u-carol', 'list', 'pods', '-A')).toBe(true)
    const crb = (await down.kubectl(['get', 'clusterrolebinding', 'crtb-carol-member', '-o', 'json'])).stdout
    expect(JSON.parse(crb).metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'drover' })

    await h.client.delete(CRTB, 'carol-member', { namespace: C })
    await h.settle()
    expect(await h.client.find(CRTB, 'carol-member', C)).toBeUndefined()
    expect((await down.kubectl(['get', 'clusterrolebinding', 'crtb-carol-member'])).stderr).toMatch(/NotFound/)
    expect(await can('u-carol', 'list', 'pods', '-A')).toBe(false)
    expect((await mc.kubectl(['auth', 'can-i', 'get', `clusters.management.cattle.io/${C}`, '--as=u-carol'])).stdout.trim()).toBe('no')
  })

  it('a PRTB materialises RoleBindings in the namespaces annotated with its project, and follows them', async () => {
    for (const ns of ['team-a', 'team-b', 'team-c']) expect((await down.kubectl(['create', 'namespace', ns])).code).toBe(0)
    await down.kubectl(['annotate', 'namespace', 'team-a', `field.cattle.io/projectId=${C}:p-abc`])
    await h.client.create(mgmt('Project'), { apiVersion: 'management.cattle.io/v3', kind: 'Project', metadata: { name: 'p-abc', namespace: C }, spec: { clusterName: C, displayName: 'Team' } })
    await h.settle()
    expect(await h.client.find(NAMESPACE, 'p-abc')).toBeDefined()
    await h.client.create(PRTB, { apiVersion: 'management.cattle.io/v3', kind: 'ProjectRoleTemplateBinding', metadata: { name: 'dave-member', namespace: 'p-abc' }, projectName: `${C}:p-abc`, roleTemplateName: 'project-member', userName: 'u-dave' })
    expect((await h.settle()).errors).toEqual([])
    // project-member's own rules (write workloads) and the ones it inherits from read-only (read events).
    expect(await can('u-dave', 'create', 'configmaps', '-n', 'team-a')).toBe(true)
    expect(await can('u-dave', 'list', 'events', '-n', 'team-a')).toBe(true)
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-b')).toBe(false)
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-c')).toBe(false)

    await down.kubectl(['annotate', 'namespace', 'team-c', `field.cattle.io/projectId=${C}:p-abc`])
    await down.kubectl(['delete', 'rolebinding', 'prtb-dave-member', '-n', 'team-a'])
    await h.settle()
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-c')).toBe(true)
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-a')).toBe(true)

    // A namespace that leaves the project loses the binding; a deleted PRTB takes all of them.
    await down.kubectl(['annotate', 'namespace', 'team-c', 'field.cattle.io/projectId-'])
    await h.settle()
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-c')).toBe(false)
    await h.client.delete(PRTB, 'dave-member', { namespace: 'p-abc' })
    await h.settle()
    expect(await h.client.find(PRTB, 'dave-member', 'p-abc')).toBeUndefined()
    expect(await can('u-dave', 'list', 'pods', '-n', 'team-a')).toBe(false)
    expect((await h.client.find<KubeObject>(ROLE_BINDING, 'prtb-dave-member', 'team-a'))).toBeUndefined()
  })

  it('resolves RoleTemplate inheritance into one downstream ClusterRole, and rejects a cycle as terminal', async () => {
    const rt = (name: string, resources: string[], inherits: string[] = []) => ({
      apiVersion: 'management.cattle.io/v3', kind: 'RoleTemplate', metadata: { name }, context: 'cluster', roleTemplateNames: inherits,
      rules: [{ apiGroups: [''], resources, verbs: ['get', 'list'] }],
    })
    await h.client.create(RT, rt('rt-c', ['services']))
    await h.client.create(RT, rt('rt-b', ['configmaps'], ['rt-c']))
    await h.client.create(RT, rt('rt-a', ['pods'], ['rt-b']))
    await h.client.create(CRTB, { apiVersion: 'management.cattle.io/v3', kind: 'ClusterRoleTemplateBinding', metadata: { name: 'devs-a', namespace: C }, clusterName: C, roleTemplateName: 'rt-a', groupPrincipalName: 'genericoidc_group://devs' })
    await h.settle()
    const role = JSON.parse((await down.kubectl(['get', 'clusterrole', 'rt-a', '-o', 'json'])).stdout) as Rules
    expect(role.rules.map((r) => r.resources![0])).toEqual(['pods', 'configmaps', 'services'])
    const asDev = ['--as=someone', '--as-group=genericoidc_group://devs']
    expect((await down.kubectl(['auth', 'can-i', 'list', 'services', ...asDev])).stdout.trim()).toBe('yes')
    // A template change reaches the downstream role.
    await h.client.patch(RT, 'rt-c', { rules: [{ apiGroups: [''], resources: ['endpoints'], verbs: ['get'] }] })
    await h.settle()
    expect((await down.kubectl(['auth', 'can-i', 'get', 'endpoints', ...asDev])).stdout.trim()).toBe('yes')
    expect((await down.kubectl(['auth', 'can-i', 'list', 'services', ...asDev])).stdout.trim()).toBe('no')

    await h.client.create(RT, rt('rt-x', ['pods'], ['rt-y']))
    await h.client.create(RT, rt('rt-y', ['pods'], ['rt-x']))
    await h.client.create(CRTB, { apiVersion: 'management.cattle.io/v3', kind: 'ClusterRoleTemplateBinding', metadata: { name: 'cyclic', namespace: C }, clusterName: C, roleTemplateName: 'rt-x', userName: 'u-cyc' })
    const report = await h.settle()
    const err = report.errors.find((e) => e.request.name === 'cyclic')?.error
    expect(err).toBeInstanceOf(TerminalError)
    expect(String(err)).toMatch(/cycle: rt-x → rt-y → rt-x/)
  })

  it('an admin GlobalRoleBinding becomes a cluster-owner binding in every connected cluster', async () => {
    await h.client.create(GRB, { apiVersion: 'management.cattle.io/v3', kind: 'GlobalRoleBinding', metadata: { name: 'grb-erin' }, userName: 'u-erin', globalRoleName: 'admin' })
    await h.settle()
    const crb = JSON.parse((await down.kubectl(['get', 'clusterrolebinding', 'globaladmin-grb-erin', '-o', 'json'])).stdout) as KubeObject & { roleRef: { name: string } }
    expect(crb.roleRef.name).toBe('cluster-owner')
    expect(await can('u-erin', 'delete', 'nodes')).toBe(true)
    expect((await mc.kubectl(['auth', 'can-i', 'delete', 'clusters.management.cattle.io', '--as=u-erin'])).stdout.trim()).toBe('yes')
    await h.client.delete(GRB, 'grb-erin')
    await h.settle()
    expect(await can('u-erin', 'delete', 'nodes')).toBe(false)
    expect(await h.client.find(CLUSTER_ROLE_BINDING, 'cattle-globalrolebinding-grb-erin')).toBeUndefined()
    expect(await h.client.find(CLUSTER_ROLE, 'cattle-globalrole-admin')).toBeDefined()
  })
})
