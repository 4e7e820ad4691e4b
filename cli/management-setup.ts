import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { GROUP, KINDS } from '../protocol/crds/index.ts'
import { crdManifestFiles } from '../infra/crds/index.ts'
import { ensureKubernetesBinaries } from '../infra/kubernetes/build.ts'
import { StartError } from './usage.ts'
import { downstreamRbac, managementAdmission, managementRbac, MUTATION_PROBE, mutationInEffect } from '../infra/management/index.ts'

/** kubectl against `kubeconfig`: its stdout, or a StartError with its stderr. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const { bin } = await ensureKubernetesBinaries()
  return new Promise((resolve, reject) => {
    const child = spawn(bin.kubectl, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new StartError(`kubectl ${args[0]} failed: ${err.trim() || `exit ${code}`}`))))
    child.stdin.end(input ?? '')
  })
}

/** drover's CRDs on a cluster it did not create (`drover start --kubeconfig`), served before returning. */
export async function waitForCrds(kubeconfig: string, log: (s: string) => void): Promise<void> {
  log('installing drover\'s CRDs…')
  await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', ...crdManifestFiles().flatMap((f) => ['-f', f])])
  for (let i = 0; ; i++) {
    try {
      await kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', ...Object.values(KINDS).map((k) => `${k.plural}.${GROUP}`)])
      break
    } catch (e) {
      if (i >= 30) throw e
      await sleep(1000)
    }
  }
  await kubectl(kubeconfig, ['get', Object.values(KINDS).map((k) => `${k.plural}.${GROUP}`).join(','), '--all-namespaces', '--request-timeout=60s', '-o', 'name'])
}

/** Whether the cluster serves admissionregistration.k8s.io/v1 MutatingAdmissionPolicies (Kubernetes 1.36 on). */
async function servesMutatingPolicies(kubeconfig: string): Promise<boolean> {
  const list = JSON.parse(await kubectl(kubeconfig, ['get', '--raw', '/apis/admissionregistration.k8s.io/v1'])) as { resources?: { name?: string }[] }
  return (list.resources ?? []).some((r) => r.name === 'mutatingadmissionpolicies')
}

/**
 * The management cluster's namespaces and RBAC for the runner, the edge and the runner's downstream
 * identity, and its admission policies (the same data the Helm chart renders; the mutating one where the
 * cluster serves it); with the edge up, the settings only it knows.
 */
export async function applyManagement(kubeconfig: string, edge?: { serverUrl: string; caPem: string }): Promise<void> {
  const mutating = await servesMutatingPolicies(kubeconfig)
  const items: unknown[] = [...managementRbac(), ...downstreamRbac(), ...managementAdmission({ mutating })]
  if (edge) {
    const setting = (name: string, value: string) => ({ apiVersion: `${GROUP}/v3`, kind: 'Setting', metadata: { name }, value, source: 'env' })
    items.push(setting('cacerts', edge.caPem), setting('server-url', edge.serverUrl))
  }
  await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=drover-start', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))
  if (mutating) await waitForMutation(kubeconfig)
}

/** Until the Cluster finalizer policy is in effect, creating a Cluster may be refused with 503 (MUTATION_PROBE). */
async function waitForMutation(kubeconfig: string): Promise<void> {
  for (let i = 0; ; i++) {
    const out = await kubectl(kubeconfig, ['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(MUTATION_PROBE)).catch(() => '')
    if (out && mutationInEffect(JSON.parse(out) as { metadata?: { finalizers?: string[] } })) return
    if (i >= 60) throw new StartError('the management cluster did not put admission policy drover-cluster-finalizer in effect within a minute')
    await sleep(1000)
  }
}
