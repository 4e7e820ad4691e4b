import { AuthenticationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { versions } from '../infra/kubernetes/versions.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { expectAttachSees, expectPortForwardEchoes } from './support/kubectl-streams.ts'

// One full cluster (controller-manager, scheduler, kwok): it must behave like a real one without a kubelet.
describe('a full dev cluster', () => {
  let c: DevCluster
  beforeAll(async () => {
    c = await devCluster('work')
  })
  afterAll(async () => {
    await c?.[Symbol.asyncDispose]()
  })

  it('lists the system namespaces with the built kubectl, which reports the pinned versions', async () => {
    const ns = await c.kubectl(['get', 'ns', '-o', 'name'])
    expect(ns.code).toBe(0)
    expect(ns.stdout).toContain('namespace/default')
    expect(ns.stdout).toContain('namespace/kube-system')
    const v = await c.kubectl(['version', '-o', 'json'])
    expect(v.code).toBe(0)
    const parsed = JSON.parse(v.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } }
    expect(parsed.clientVersion.gitVersion).toBe(versions.kubernetes)
    expect(parsed.serverVersion.gitVersion).toBe(versions.kubernetes)
  })

  it('has kwok nodes Ready and default service accounts', async () => {
    const nodes = await c.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'])
    expect(nodes.stdout.trim().split('\n')).toEqual(['work-node-0=True', 'work-node-1=True'])
    const sa = await c.kubectl(['get', 'serviceaccount', 'default', '-n', 'kube-system', '-o', 'name'])
    expect(sa.stdout.trim()).toBe('serviceaccount/default')
  })

  it('schedules a Deployment pod onto a kwok node, where it runs and answers logs and exec', async () => {
    const apply = await c.kubectl(['apply', '-f', '-'], { input: deployment('web') })
    expect(apply.stderr).toBe('')
    const wait = await c.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=90s'])
    expect(wait.code, wait.stderr).toBe(0)
    const pod = await c.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name} {.items[0].spec.nodeName} {.items[0].status.phase}'])
    const [name, node, phase] = pod.stdout.split(' ')
    expect(node).toMatch(/^work-node-\d$/)
    expect(phase).toBe('Running')
    const logs = await c.kubectl(['logs', name!])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toContain('drover dev cluster work: container log')
    const exec = await c.kubectl(['exec', name!, '--', 'sh', '-c', 'echo from-exec $((6*7))'])
    expect(exec.code, exec.stderr).toBe(0)
    expect(exec.stdout.trim()).toBe('from-exec 42')
  })

  it('answers kubectl attach with what the container prints next, and port-forward with an echo', async () => {
    const name = (await c.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
    await expectAttachSees(c.kubeconfigPath, name, c.record.dir, 'printed after attach')
    await expectPortForwardEchoes(c.kubeconfigPath, name, ['through port-forward'])
  })

  it('deletes a namespace completely', async () => {
    await c.kubectl(['create', 'namespace', 'doomed'])
    await c.kubectl(['create', 'configmap', 'x', '-n', 'doomed', '--from-literal=a=b'])
    const del = await c.kubectl(['delete', 'namespace', 'doomed', '--wait=true', '--timeout=90s'])
    expect(del.code, del.stderr).toBe(0)
    const gone = await c.kubectl(['get', 'namespace', 'doomed'])
    expect(gone.stderr).toMatch(/NotFound/)
  })

  it('issues a service-account token through TokenRequest that RBAC holds to what was granted', async () => {
    const core = c.kubeConfig.makeApiClient(CoreV1Api)
    const rbac = c.kubeConfig.makeApiClient(RbacAuthorizationV1Api)
    await core.createNamespace({ body: { metadata: { name: 'team' } } })
    await core.createNamespacedServiceAccount({ namespace: 'team', body: { metadata: { name: 'reader' } } })
    await rbac.createNamespacedRole({
      namespace: 'team',
      body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
    })
    await rbac.createNamespacedRoleBinding({
      namespace: 'team',
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'team' }],
      },
    })
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace: 'team',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    })
    const token = tr.status?.token ?? ''
    expect(token.split('.')).toHaveLength(3)

    const asReader = new KubeConfig()
    asReader.loadFromOptions({
      clusters: [{ name: 'c', server: c.server, caData: c.kubeConfig.getCurrentCluster()!.caData }],
      users: [{ name: 'reader', token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'reader' }],
      currentContext: 'c',
    })
    const who = await asReader.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} })
    expect(who.status?.userInfo?.username).toBe('system:serviceaccount:team:reader')
    const readerCore = asReader.makeApiClient(CoreV1Api)
    const cms = await readerCore.listNamespacedConfigMap({ namespace: 'team' })
    expect(cms.items.map((i) => i.metadata?.name)).toContain('kube-root-ca.crt')
    await expect(readerCore.listNamespacedSecret({ namespace: 'team' })).rejects.toMatchObject({ code: 403 })
    await expect(readerCore.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({ code: 403 })
    await expect(
      readerCore.createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'nope' } } }),
    ).rejects.toMatchObject({ code: 403 })
  })
})

function deployment(name: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: 'registry.invalid/web:1' }] },
      },
    },
  })
}
