import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { downstreamRbac } from '../infra/management/index.ts'
import {
  agentClusterRules,
  cacheClusterRules,
  ImportManifestError,
  renderImportManifest,
  runnerClusterRules,
  type ImportManifestOptions,
} from '../workers/import/manifest.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { expectServerAccepts } from './support/server-apply.ts'

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }

const base: ImportManifestOptions = {
  serverUrl: 'https://drover.example.com',
  clusterId: 'c-abc12',
  token: 'k8stoken0123456789abcdefghijklmnopqrstuvwxyz0123456789',
  image: 'ghcr.io/drover-dev/drover:v0.1.0',
}

function parse(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([])
    return d.toJS() as Obj
  })
}

const find = <T = Obj>(docs: Obj[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name) as unknown as T

describe('the import manifest', () => {
  it('holds the namespace, service account, RBAC, credentials Secret and agent Deployment', () => {
    const docs = parse(renderImportManifest({ ...base, caChecksum: 'ab'.repeat(32) }))
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Namespace/cattle-system',
      'ServiceAccount/drover-agent',
      'ClusterRole/drover-agent',
      'ClusterRoleBinding/drover-agent',
      'ClusterRole/drover-runner',
      'ClusterRoleBinding/drover-runner',
      'ClusterRole/drover-cache',
      'ClusterRoleBinding/drover-cache',
      'Secret/drover-agent-credentials',
      'Deployment/drover-agent',
    ])
    expect(find(docs, 'Secret', 'drover-agent-credentials')).toMatchObject({
      metadata: { namespace: 'cattle-system' },
      stringData: { url: base.serverUrl, token: `${base.clusterId}:${base.token}`, 'ca-checksum': 'ab'.repeat(32) },
    })
    const spec = find<{ spec: { replicas: number; template: { spec: Record<string, unknown> } } }>(docs, 'Deployment', 'drover-agent').spec
    expect(spec.replicas).toBe(2)
    expect(spec.template.spec).toMatchObject({
      serviceAccountName: 'drover-agent',
      securityContext: { runAsNonRoot: true },
      containers: [{ image: base.image, args: ['agent', '--server', '$(DROVER_SERVER)'] }],
    })
    expect(JSON.stringify(spec.template.spec)).not.toContain('PROXY')
  })

  it('pins the edge CA: the checksum from the Secret, the TLS mode (default strict) in the agent\'s environment', () => {
    type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }[]
    const envOf = (opts: Partial<ImportManifestOptions>) =>
      find<{ spec: { template: { spec: { containers: { env: Env }[] } } } }>(parse(renderImportManifest({ ...base, ...opts })), 'Deployment', 'drover-agent').spec.template.spec
        .containers[0]!.env
    const env = envOf({ caChecksum: 'ab'.repeat(32) })
    expect(env).toContainEqual({ name: 'DROVER_CA_CHECKSUM', valueFrom: { secretKeyRef: { name: 'drover-agent-credentials', key: 'ca-checksum', optional: true } } })
    expect(env).toContainEqual({ name: 'DROVER_AGENT_TLS_MODE', value: 'strict' })
    expect(envOf({ tlsMode: 'system-store' })).toContainEqual({ name: 'DROVER_AGENT_TLS_MODE', value: 'system-store' })
  })

  it('grants the agent only impersonation and what its facts read, and the runner the contract role', () => {
    const docs = parse(renderImportManifest(base))
    expect(find<{ rules: unknown }>(docs, 'ClusterRole', 'drover-agent').rules).toEqual(agentClusterRules())
    const verbs = agentClusterRules().flatMap((r) => r.verbs)
    expect(new Set(verbs)).toEqual(new Set(['impersonate', 'get', 'list', 'watch']))
    expect(JSON.stringify(agentClusterRules())).not.toMatch(/secrets|\*/)
    // The same objects the management cluster gets (infra/management/rbac.ts).
    const downstream = downstreamRbac()
    const roleRules = (name: string) => (downstream.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name) as { rules: unknown }).rules
    expect(runnerClusterRules()).toEqual(roleRules('drover-runner'))
    expect(cacheClusterRules()).toEqual(roleRules('drover-cache'))
    expect(find<{ rules: unknown }>(docs, 'ClusterRole', 'drover-cache').rules).toEqual(cacheClusterRules())
    expect(find(docs, 'ClusterRoleBinding', 'drover-cache')).toMatchObject({
      roleRef: { name: 'drover-cache' },
      subjects: [{ kind: 'User', name: 'system:drover:cache' }],
    })
    expect(find(docs, 'ClusterRoleBinding', 'drover-runner')).toMatchObject({
      roleRef: { name: 'drover-runner' },
      subjects: [{ kind: 'User', name: 'system:drover:runner' }],
    })
  })

  it('passes proxies through and keeps hostile values scalar', () => {
    const evil = 'http://p:3128\n---\nkind: Secret\n"quoted" #comment: {a: [1]}'
    const docs = parse(renderImportManifest({ ...base, httpProxy: evil, httpsProxy: 'http://proxy:3128', noProxy: '10.0.0.0/8,.svc', replicas: 3 }))
    expect(docs).toHaveLength(10)
    const container = find<{ spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(docs, 'Deployment', 'drover-agent').spec
    expect(container.replicas).toBe(3)
    const env = Object.fromEntries(container.template.spec.containers[0]!.env.filter((e) => e.value).map((e) => [e.name, e.value]))
    expect(env).toEqual({
      DROVER_AGENT_TLS_MODE: 'strict',
      HTTP_PROXY: evil,
      http_proxy: evil,
      HTTPS_PROXY: 'http://proxy:3128',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: '10.0.0.0/8,.svc',
      no_proxy: '10.0.0.0/8,.svc',
    })
  })

  it.each([
    [{ serverUrl: 'not a url' }, /server-url/],
    [{ serverUrl: 'ftp://x' }, /http/],
    [{ clusterId: 'C_1' }, /cluster id/],
    [{ token: 'a:b' }, /token/],
    [{ token: '' }, /token/],
    [{ image: 'img\nx: y' }, /image/],
    [{ replicas: 0 }, /replicas/],
    [{ tlsMode: 'insecure' }, /agent-tls-mode/],
    [{ caChecksum: 'not-a-sha256' }, /checksum/],
  ])('refuses %j', (override, message) => {
    expect(() => renderImportManifest({ ...base, ...override })).toThrow(ImportManifestError)
    expect(() => renderImportManifest({ ...base, ...override })).toThrow(message)
  })
})

// One full cluster: the Deployment must schedule onto (kwok) nodes and become available.
describe('applying the import manifest to a real cluster', () => {
  let c: DevCluster
  beforeAll(async () => {
    c = await devCluster('import-manifest')
  })
  afterAll(async () => {
    await c?.[Symbol.asyncDispose]()
  })

  it('passes a server-side dry run, applies, and the agent Deployment becomes available', async () => {
    const manifest = renderImportManifest({ ...base, httpsProxy: 'http://proxy.example:3128', noProxy: '.svc,10.0.0.0/8' })
    // A dry run cannot create the namespace first; everything else must pass server-side validation.
    await expectServerAccepts(c, manifest, ['cattle-system'], 'clusterrole.rbac.authorization.k8s.io/drover-agent created (server dry run)')

    const wait = await c.kubectl(['rollout', 'status', '-n', 'cattle-system', 'deployment/drover-agent', '--timeout=120s'])
    expect(wait.code, wait.stderr).toBe(0)
    const pods = await c.kubectl(['get', 'pods', '-n', 'cattle-system', '-l', 'app.kubernetes.io/name=drover-agent', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}'])
    const lines = pods.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    for (const l of lines) expect(l).toMatch(/^import-manifest-node-\d Running$/)
    // Preferred anti-affinity spreads the two replicas over the two nodes.
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(2)

    // The agent's service account can do what the agent does, and no more. (SubjectAccessReviews, since
    // `kubectl auth can-i users` would resolve to management.cattle.io's users in this cluster.)
    const sa = 'system:serviceaccount:cattle-system:drover-agent'
    expect(await allowed(c, sa, { verb: 'list', resource: 'nodes' })).toBe(true)
    expect(await allowed(c, sa, { verb: 'impersonate', resource: 'users', name: 'u-abcde' })).toBe(true)
    expect(await allowed(c, sa, { verb: 'impersonate', resource: 'groups', name: 'system:authenticated' })).toBe(true)
    expect(await allowed(c, sa, { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'userextras', subresource: 'principalid' })).toBe(true)
    expect(await allowed(c, sa, { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids' })).toBe(false)
    expect(await allowed(c, sa, { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'kube-system' })).toBe(false)
    expect(await allowed(c, sa, { verb: 'list', resource: 'secrets', namespace: 'cattle-system' })).toBe(false)
    expect(await allowed(c, sa, { verb: 'list', resource: 'pods' })).toBe(false)
    expect(await allowed(c, sa, { nonResource: '/version' })).toBe(true)
    expect(await allowed(c, 'system:drover:runner', { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' })).toBe(true)
    expect(await allowed(c, 'system:drover:runner', { verb: 'list', resource: 'namespaces' })).toBe(true)
    expect(await allowed(c, 'system:drover:runner', { verb: 'get', resource: 'secrets', namespace: 'default' })).toBe(false)
  })
})

type Access = { verb: string; group?: string; resource: string; subresource?: string; name?: string; namespace?: string } | { nonResource: string }

/** Asks the apiserver's authorizer directly whether `user` may do `access`. */
async function allowed(c: DevCluster, user: string, access: Access): Promise<boolean> {
  const spec =
    'nonResource' in access
      ? { user, nonResourceAttributes: { verb: 'get', path: access.nonResource } }
      : { user, resourceAttributes: { ...access, group: access.group ?? '' } }
  const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }
  const r = await c.kubectl(['create', '-o', 'jsonpath={.status.allowed}', '-f', '-'], { input: JSON.stringify(review) })
  if (r.code !== 0) throw new Error(r.stderr)
  return r.stdout.trim() === 'true'
}
