// Issue 10's attacks on the management cluster, tried through the real stack (management dev cluster with
// drover's admission policies, the edge in workerd, the local agent, the runner): each must be refused by
// the cluster itself, whatever path the writer takes.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

const PASSWORD = 'admin-password-for-tests'
let stack: MgmtStack
let admin: string

const newUser = (username: string) => createUser(stack, admin, username)

/** kubectl against the management cluster as `user` (impersonated by the admin certificate). */
const kubectlAs = (user: string, args: string[], input?: unknown) =>
  stack.cluster.kubectl(['--as', user, '--as-group', 'system:authenticated', ...args], input === undefined ? undefined : { input: JSON.stringify(input) })
const kubectl = (args: string[], input?: unknown) => stack.cluster.kubectl(args, input === undefined ? undefined : { input: JSON.stringify(input) })
const MGMT = 'management.cattle.io/v3'

/** A standard user who owns a cluster of her own (created through /v3, so the runner made her its owner). */
async function clusterOwner(username: string): Promise<{ id: string; token: string; cluster: string }> {
  const user = await newUser(username)
  // Finding 0: a new standard user's `user` global role takes effect (it used to be pruned again at once).
  const cluster = await eventually(`${username} to create a cluster`, async () => {
    const res = await stack.api(user.token).post<{ id: string }>('/v3/clusters', { name: `${username}-cluster` })
    return res.status === 201 ? res.body.id : undefined
  }, 20_000)
  await eventually(`${username} to own ${cluster}`, async () => {
    const r = await kubectlAs(user.id, ['auth', 'can-i', 'create', 'clusterroletemplatebindings.management.cattle.io', '-n', cluster])
    return r.stdout.trim() === 'yes' ? true : undefined
  })
  return { ...user, cluster }
}

beforeAll(async () => {
  stack = await mgmtStack('security', { adminPassword: PASSWORD, runner: true })
  admin = await adminToken(stack, PASSWORD)
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
})

describe('the management cluster holds its own invariants, for every writer', () => {
  it('a new standard user can create a cluster through /v3 seconds after being created, and the binding stays', async () => {
    const erin = await clusterOwner('erin')
    expect(erin.cluster).toMatch(/^c-[a-z0-9]{5}$/)
    const grbs = await kubectl(['get', 'clusterrolebindings', '-l', 'drover.io/globalrolebinding', '-o', 'jsonpath={.items[*].subjects[0].name}'])
    expect(grbs.stdout.split(' ')).toContain(erin.id)
  })

  it('a cluster owner cannot reach the management cluster through /k8s/clusters/local', async () => {
    const fay = await clusterOwner('fay')
    const res = await stack.api(fay.token).get('/k8s/clusters/local/api/v1/namespaces/kube-system/secrets')
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ type: 'error', code: 'PermissionDenied' })
    const mine = await stack.api(fay.token).post(`/k8s/clusters/local/apis/management.cattle.io/v3/namespaces/${fay.cluster}/clusterroletemplatebindings`, {
      apiVersion: MGMT, kind: 'ClusterRoleTemplateBinding', metadata: { name: 'via-proxy', namespace: fay.cluster }, clusterName: 'local', roleTemplateName: 'cluster-owner', userName: fay.id,
    })
    expect(mine.status).toBe(403)
    // An administrator still can; made-up and unknown clusters are 404 before any tunnel object is touched.
    expect((await stack.api(admin).get('/k8s/clusters/local/api/v1/namespaces/kube-system')).status).toBe(200)
    expect((await stack.api(admin).get('/k8s/clusters/c-nosuch/api/v1/namespaces')).status).toBe(404)
    expect((await stack.api(fay.token).get('/k8s/clusters/c-nosuch/version')).status).toBe(404)
  })

  it('refuses bindings that name another scope, however they are written (finding 1)', async () => {
    const gil = await clusterOwner('gil')
    const other = await stack.api(admin).post<{ id: string }>('/v3/clusters', { name: 'someone-elses' })
    const crtb = (name: string, clusterName: string) => ({ apiVersion: MGMT, kind: 'ClusterRoleTemplateBinding', metadata: { name, namespace: gil.cluster }, clusterName, roleTemplateName: 'cluster-owner', userName: gil.id })
    for (const target of ['local', other.body.id]) {
      const r = await kubectlAs(gil.id, ['create', '-f', '-'], crtb(`to-${target}`, target))
      expect(r.code, r.stdout).not.toBe(0)
      expect(r.stderr).toContain('clusterName must be the namespace')
    }
    // Re-pointing her creator binding is refused too (and so is any change of what it grants).
    const repoint = await kubectlAs(gil.id, ['patch', 'clusterroletemplatebindings.management.cattle.io', 'creator-cluster-owner', '-n', gil.cluster, '--type=merge', '-p', JSON.stringify({ clusterName: 'local' })])
    expect(repoint.code).not.toBe(0)
    // A binding in her own scope is accepted.
    const own = await kubectlAs(gil.id, ['create', '-f', '-'], crtb('own-scope', gil.cluster))
    expect(own.code, own.stderr).toBe(0)
    // A project binding naming a project of another cluster, from a namespace that is not that project's.
    const project = await stack.api(admin).post<{ id: string }>('/v3/projects', { clusterId: other.body.id, name: 'theirs' })
    expect(project.status, JSON.stringify(project.body)).toBe(201)
    const prtb = await kubectl(['create', '-f', '-'], { apiVersion: MGMT, kind: 'ProjectRoleTemplateBinding', metadata: { name: 'cross', namespace: gil.cluster }, projectName: project.body.id, roleTemplateName: 'project-owner', userName: gil.id })
    expect(prtb.code).not.toBe(0)
    expect(prtb.stderr).toContain('projectName must be')
  })

  it('refuses names that would capture namespaces, and the runner adopts no namespace it did not create (finding 2)', async () => {
    const hal = await clusterOwner('hal')
    await kubectl(['create', 'clusterrole', 'hal-clusters', '--verb=create', '--resource=clusters.management.cattle.io'])
    await kubectl(['create', 'clusterrolebinding', 'hal-clusters', '--clusterrole=hal-clusters', `--user=${hal.id}`])
    for (const name of ['cattle-system', 'cattle-local-user-passwords', 'c-0']) {
      const r = await kubectlAs(hal.id, ['create', '-f', '-'], { apiVersion: MGMT, kind: 'Cluster', metadata: { name }, spec: { displayName: name } })
      expect(r.code, `${name}: ${r.stdout}`).not.toBe(0)
      expect(r.stderr).toContain('cluster names are generated')
    }
    const proj = await kubectlAs(hal.id, ['create', '-f', '-'], { apiVersion: MGMT, kind: 'Project', metadata: { name: 'cattle-system', namespace: hal.cluster }, spec: { clusterName: hal.cluster, displayName: 'x' } })
    expect(proj.code).not.toBe(0)
    expect(proj.stderr).toContain('project names are generated')
    // Even a writer the policies trust cannot make the runner take over a namespace that already exists.
    expect((await kubectl(['create', 'namespace', 'p-taken'])).code).toBe(0)
    const taken = await kubectl(['create', '-f', '-'], { apiVersion: MGMT, kind: 'Project', metadata: { name: 'p-taken', namespace: hal.cluster }, spec: { clusterName: hal.cluster, displayName: 'taken' } })
    expect(taken.code, taken.stderr).toBe(0)
    await eventually('a NamespaceTaken event', async () => {
      const ev = await kubectl(['get', 'events', '-n', hal.cluster, '--field-selector', 'reason=NamespaceTaken', '-o', 'name'])
      return ev.stdout.trim() ? true : undefined
    })
    const labels = await kubectl(['get', 'namespace', 'p-taken', '-o', 'jsonpath={.metadata.labels}'])
    expect(labels.stdout).not.toContain('drover.io/project')
    expect((await kubectl(['delete', 'projects.management.cattle.io', 'p-taken', '-n', hal.cluster])).code).toBe(0)
    await sleep(3000)
    const still = await kubectl(['get', 'namespace', 'p-taken', '-o', 'jsonpath={.status.phase}'])
    expect(still.stdout).toBe('Active')
    // Nobody but the runner may label a namespace as a cluster's or project's.
    const forge = await kubectlAs(stack.admin.userId, ['label', 'namespace', 'p-taken', `drover.io/cluster=${hal.cluster}`])
    expect(forge.code).not.toBe(0)
  })

  it("keeps creatorId, builtin, the runner's finalizers and status for the runner (finding 3)", async () => {
    const ida = await clusterOwner('ida')
    const adminId = stack.admin.userId
    await kubectl(['create', 'clusterrolebinding', 'ida-clusters', '--clusterrole=hal-clusters', `--user=${ida.id}`]).catch(() => undefined)
    const claim = await kubectlAs(ida.id, ['create', '-f', '-'], { apiVersion: MGMT, kind: 'Cluster', metadata: { name: 'c-idaaa', annotations: { 'field.cattle.io/creatorId': adminId } }, spec: { displayName: 'x' } })
    expect(claim.code).not.toBe(0)
    expect(claim.stderr).toContain('creatorId must be the requesting user')
    // The administrator (an ordinary user with every permission, not the runner) is held to the same rules.
    const builtin = await kubectlAs(adminId, ['create', '-f', '-'], { apiVersion: MGMT, kind: 'RoleTemplate', metadata: { name: 'rt-fakeb' }, builtin: true, context: 'cluster', rules: [] })
    expect(builtin.code).not.toBe(0)
    expect(builtin.stderr).toContain('only drover marks roles builtin')
    const unbuiltin = await kubectlAs(adminId, ['patch', 'roletemplates.management.cattle.io', 'cluster-owner', '--type=merge', '-p', '{"builtin":false}'])
    expect(unbuiltin.code).not.toBe(0)
    const strip = await kubectlAs(ida.id, ['patch', 'clusterroletemplatebindings.management.cattle.io', 'creator-cluster-owner', '-n', ida.cluster, '--type=merge', '-p', '{"metadata":{"finalizers":[]}}'])
    expect(strip.code).not.toBe(0)
    expect(strip.stderr).toContain('finalizers')
    const status = await kubectlAs(adminId, ['patch', 'clusters.management.cattle.io', ida.cluster, '--subresource=status', '--type=merge', '-p', '{"status":{"connected":true}}'])
    expect(status.code).not.toBe(0)
    expect(status.stderr).toContain('status is written by')
    const shadow = await kubectlAs(adminId, ['create', '-f', '-'], { apiVersion: MGMT, kind: 'RoleTemplate', metadata: { name: 'cluster-admin' }, context: 'cluster', rules: [] })
    expect(shadow.code).not.toBe(0)
  })
})

describe('the smaller findings (8)', () => {
  it('one username is one user, even when created at once', async () => {
    const results = await Promise.all([0, 1, 2, 3].map(() => stack.api(admin).post('/v3/users', { username: 'twin', password: 'twin-password-1234' })))
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409])
    const users = await kubectl(['get', 'users.management.cattle.io', '-o', 'jsonpath={.items[*].username}'])
    expect(users.stdout.split(' ').filter((u) => u === 'twin')).toHaveLength(1)
  })

  it('?action=changepassword is throttled like a login', async () => {
    const jo = await newUser('jo')
    let throttled = false
    for (let i = 0; i < 25 && !throttled; i++) {
      const res = await stack.api(jo.token).post('/v3/users?action=changepassword', { currentPassword: `guess-${i}`, newPassword: 'jo-new-password-1234' })
      if (res.status === 429) throttled = true
      else expect(res.status).toBe(422)
    }
    expect(throttled).toBe(true)
  })

  it('a role template never overwrites a ClusterRole it did not make, and its ClusterRoles go with it', async () => {
    // `view` exists in every cluster; a trusted writer may create the template, but the runner leaves `view` alone.
    expect((await kubectl(['create', '-f', '-'], { apiVersion: MGMT, kind: 'RoleTemplate', metadata: { name: 'view' }, context: 'cluster', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] })).code).toBe(0)
    const rt = await stack.api(admin).post<{ id: string }>('/v3/roletemplates', { displayName: 'pruned', context: 'cluster', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] })
    expect(rt.status, JSON.stringify(rt.body)).toBe(201)
    for (const [name, template] of [['shadow-view', 'view'], ['uses-rt', rt.body.id]] as const) {
      const r = await kubectl(['create', '-f', '-'], { apiVersion: MGMT, kind: 'ClusterRoleTemplateBinding', metadata: { name, namespace: 'local' }, clusterName: 'local', roleTemplateName: template, userName: stack.admin.userId })
      expect(r.code, r.stderr).toBe(0)
    }
    await eventually(`ClusterRole ${rt.body.id}`, async () => ((await kubectl(['get', 'clusterrole', rt.body.id, '-o', 'name'])).code === 0 ? true : undefined))
    const view = await kubectl(['get', 'clusterrole', 'view', '-o', 'json'])
    const role = JSON.parse(view.stdout) as { metadata: { labels?: Record<string, string> }; rules?: { verbs: string[] }[] }
    expect(role.metadata.labels?.['drover.io/roletemplate']).toBeUndefined()
    expect((role.rules ?? []).some((r) => r.verbs.includes('*'))).toBe(false)
    expect((await kubectl(['delete', 'clusterroletemplatebinding.management.cattle.io', 'uses-rt', '-n', 'local'])).code).toBe(0)
    expect((await stack.api(admin).del(`/v3/roletemplates/${rt.body.id}`)).status).toBe(200)
    await eventually(`ClusterRole ${rt.body.id} to be pruned`, async () => ((await kubectl(['get', 'clusterrole', rt.body.id, '-o', 'name'])).code !== 0 ? true : undefined))
  })
})
