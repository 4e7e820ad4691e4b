import { createPrivateKey, X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { agentClusterRules } from '../workers/import/manifest.ts'
import { MUTATING_POLICY_API } from '../infra/management/index.ts'
import { extApiServiceManifests, extServingNames } from '../infra/management/ext-apiservice.ts'
import { EXT_APISERVICE } from '../protocol/api/ext.ts'
import { devCluster, execCommand, helmBin, type DevCluster } from './support/dev-cluster.ts'
import { expectServerAccepts } from './support/server-apply.ts'

const CHART = join(import.meta.dirname, '..', 'infra', 'helm', 'drover')
const VALUES = ['--set', 'serverUrl=https://drover.example.com', '--set', 'agentImage=ghcr.io/drover-dev/drover:v0.1.1', '--set', 'localAgent.httpsProxy=http://proxy:3128']

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
type PodSpec = { securityContext: Record<string, unknown>; serviceAccountName: string; containers: { image: string; args: string[]; securityContext: Record<string, unknown>; resources: object; env: { name: string; value?: string }[] }[] }
type Probe = { httpGet: { path: string; port: string; scheme?: string } }

describe('the Helm chart infra/helm/drover', () => {
  let helm: string
  let c: DevCluster
  beforeAll(async () => {
    helm = await helmBin()
    c = await devCluster('helm-chart', { mode: 'lite' })
  })
  afterAll(async () => {
    await c?.[Symbol.asyncDispose]()
  })

  const template = (...args: string[]) => execCommand(helm, ['template', 'drover', CHART, '--namespace', 'cattle-system', ...args])

  it('lints strictly', async () => {
    const lint = await execCommand(helm, ['lint', '--strict', CHART, ...VALUES])
    expect(lint.code, lint.stdout + lint.stderr).toBe(0)
  })

  it('refuses to render without the server URL', async () => {
    const r = await template()
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('serverUrl is required')
  })

  it('renders the runner and the local agent, non-root, with least-privilege agent RBAC', async () => {
    const r = await template(...VALUES)
    expect(r.code, r.stderr).toBe(0)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean)
    const get = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name) as Obj & { spec: { replicas: number; template: { spec: PodSpec } } }
    for (const name of ['drover-controller-runner', 'drover-runner', 'drover-edge', 'drover-agent']) expect(get('ClusterRole', name), name).toBeDefined()

    const runner = get('Deployment', 'drover-controller-runner')
    expect(runner.spec.replicas).toBe(2)
    expect(runner.spec.template.spec.serviceAccountName).toBe('drover-controller-runner')
    expect(runner.spec.template.spec.containers[0]!.args[0]).toBe('runner')
    expect(get('Role', 'drover-controller-runner-leases')).toMatchObject({ metadata: { namespace: 'cattle-system' }, rules: [{ resources: ['leases'] }] })

    const agent = get('Deployment', 'drover-agent')
    expect(agent.spec.template.spec.containers[0]!.args).toEqual(['agent', '--server', '$(DROVER_SERVER)'])
    expect(agent.spec.template.spec.containers[0]!.env).toEqual(
      expect.arrayContaining([{ name: 'DROVER_SERVER', value: 'https://drover.example.com' }, { name: 'HTTPS_PROXY', value: 'http://proxy:3128' }]),
    )
    // The same role every imported cluster gives its agent (workers/import/manifest.ts).
    expect((get('ClusterRole', 'drover-agent') as { rules?: unknown }).rules).toEqual(agentClusterRules())

    for (const d of [runner, agent]) {
      const pod = d.spec.template.spec
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
      expect(pod.containers[0]!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true })
      expect(pod.containers[0]!.resources).toHaveProperty('requests')
    }
    expect(get('Setting', 'agent-image')).toMatchObject({ value: 'ghcr.io/drover-dev/drover:v0.1.1' })
    expect(get('Setting', 'server-url')).toMatchObject({ value: 'https://drover.example.com' })
  })

  it('renders the extension API server: Deployment, Service, APIService, and a serving certificate its caBundle verifies', async () => {
    const r = await template(...VALUES)
    expect(r.code, r.stderr).toBe(0)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean)
    const get = <T = object>(kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name) as Obj & T
    type Deployment = { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec & { containers: { livenessProbe: Probe; readinessProbe: Probe }[]; volumes: { name: string; secret?: { secretName: string } }[] } } } }
    const ext = get<Deployment>('Deployment', 'drover-ext-apiserver')
    const runner = get<Deployment>('Deployment', 'drover-controller-runner')
    const pod = ext.spec.template.spec
    const container = pod.containers[0]!
    expect(pod.serviceAccountName).toBe('drover-ext-apiserver')
    expect(get('ServiceAccount', 'drover-ext-apiserver')).toMatchObject({ metadata: { namespace: 'cattle-system' } })
    expect(get('ClusterRoleBinding', 'drover-ext-apiserver')).toMatchObject({ roleRef: { name: 'drover-ext-apiserver' }, subjects: [{ kind: 'ServiceAccount', name: 'drover-ext-apiserver', namespace: 'cattle-system' }] })
    expect(container.image).toBe(runner.spec.template.spec.containers[0]!.image)
    // No --kubeconfig (in-cluster), no --requestheader-client-ca (the cluster's ConfigMap).
    expect(container.args).toEqual(['ext-apiserver', '--listen', '0.0.0.0:8443', '--serving-cert', '/etc/drover/serving/tls.crt', '--serving-key', '/etc/drover/serving/tls.key'])
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' })
    expect(pod.securityContext).toEqual(runner.spec.template.spec.securityContext)
    expect(container.securityContext).toEqual(runner.spec.template.spec.containers[0]!.securityContext)
    expect(container.resources).toHaveProperty('requests')
    expect(ext.spec.template.metadata.annotations['checksum/serving-cert']).toMatch(/^[0-9a-f]{64}$/)

    // The same Service and APIService infra/management/ext-apiservice.ts builds for a pod-run server.
    const [service, apiService] = extApiServiceManifests({ caPem: 'unused', namespace: 'cattle-system' }) as [{ spec: { selector: Record<string, string> } }, { spec: Record<string, unknown> }]
    const svc = get<{ spec: { selector: Record<string, string> } }>('Service', 'drover-ext-apiserver')
    expect(svc).toMatchObject({ metadata: { namespace: 'cattle-system' }, spec: service.spec })
    expect(ext.spec.template.metadata.labels).toMatchObject(svc.spec.selector)
    expect(ext.spec.template.metadata.labels).toMatchObject(ext.spec.selector.matchLabels)
    const { caBundle: _, ...apiSpec } = apiService.spec
    const registered = get<{ spec: { caBundle: string } }>('APIService', EXT_APISERVICE)
    expect(registered).toMatchObject({ spec: apiSpec })

    const secretName = pod.volumes.find((v) => v.secret)!.secret!.secretName
    const secret = get<{ type: string; data: Record<string, string> }>('Secret', secretName)
    expect(secret.type).toBe('kubernetes.io/tls')
    const pem = (k: string) => Buffer.from(secret.data[k]!, 'base64').toString()
    expect(pem('ca.crt')).toBe(Buffer.from(registered.spec.caBundle, 'base64').toString())
    const ca = new X509Certificate(pem('ca.crt'))
    const cert = new X509Certificate(pem('tls.crt'))
    expect(cert.verify(ca.publicKey)).toBe(true)
    expect(cert.checkPrivateKey(createPrivateKey(pem('tls.key')))).toBe(true)
    // The aggregator checks the first name; both are what the ext server's own tooling issues.
    for (const name of extServingNames('cattle-system')) expect(cert.checkHost(name), name).toBe(name)

    const off = await template(...VALUES, '--set', 'extApiServer.enabled=false')
    expect(off.code, off.stderr).toBe(0)
    expect(off.stdout).not.toContain('drover-ext-apiserver-serving')
    expect(off.stdout).not.toContain('kind: APIService')
    expect(off.stdout).toContain('name: drover-controller-runner')
  })

  it('is accepted by a real API server: CRDs first, then a server-side dry run of the rest', async () => {
    const crds = await c.kubectl(['apply', '--server-side', '-f', join(CHART, 'crds')])
    expect(crds.code, crds.stderr).toBe(0)
    const established = await c.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(CHART, 'crds')])
    expect(established.code, established.stderr).toBe(0)
    // What `helm install -n cattle-system --create-namespace` does before applying templates.
    await c.kubectl(['create', 'namespace', 'cattle-system'])

    // With the API the mutating policy needs (a live `helm install` finds it by discovery; Kubernetes ≥ 1.36).
    const rendered = (await template(...VALUES, '--api-versions', MUTATING_POLICY_API)).stdout
    expect(rendered).toContain('kind: MutatingAdmissionPolicy\n')
    // Offline, helm knows only group/versions: the chart leaves the mutating policy out (the runner adds the finalizer).
    expect((await template(...VALUES)).stdout).not.toContain('MutatingAdmissionPolicy')
    const ownNamespaces = parseAllDocuments(rendered).map((d) => d.toJS() as Obj).filter((o) => o?.kind === 'Namespace').map((o) => o.metadata.name)
    // A dry run cannot create the chart's own namespaces first; everything else must validate.
    await expectServerAccepts(c, rendered, ownNamespaces, 'deployment.apps/drover-controller-runner created (server dry run)')
  })

  it('keeps the ext server\'s serving certificate across helm install and upgrade (lookup)', async () => {
    // The previous test applied a rendering; its Secret is what a first install would have made.
    const ca = async () => (await c.kubectl(['get', '-n', 'cattle-system', 'secret/drover-ext-apiserver-serving', '-o', 'jsonpath={.data.ca\\.crt}'])).stdout
    const bundle = async () => (await c.kubectl(['get', `apiservice/${EXT_APISERVICE}`, '-o', 'jsonpath={.spec.caBundle}'])).stdout
    const before = await ca()
    expect(before).toMatch(/^LS0t/)
    const helmIn = (...args: string[]) => execCommand(helm, [...args, 'drover', CHART, '--kubeconfig', c.kubeconfigPath, '--namespace', 'cattle-system', ...VALUES], { timeoutMs: 120_000 })
    const install = await helmIn('install', '--take-ownership', '--force-conflicts')
    expect(install.code, install.stderr).toBe(0)
    expect(await ca()).toBe(before)
    const upgrade = await helmIn('upgrade')
    expect(upgrade.code, upgrade.stderr).toBe(0)
    expect(await ca()).toBe(before)
    expect(await bundle()).toBe(before)
  }, 180_000)
})
