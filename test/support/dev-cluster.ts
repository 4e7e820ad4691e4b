import { execFile } from 'node:child_process'
import { KubeConfig } from '@kubernetes/client-node'
import { down, up, type UpOptions } from '../../infra/dev-cluster/cluster.ts'
import { ensureKubernetesBinaries } from '../../infra/kubernetes/build.ts'
import { ensureHelm } from '../../infra/kubernetes/helm.ts'
import type { DevClusterRecord } from '../../infra/dev-cluster/state.ts'

export interface KubectlResult {
  code: number
  stdout: string
  stderr: string
}

export interface DevCluster extends AsyncDisposable {
  record: DevClusterRecord
  name: string
  server: string
  kubeconfigPath: string
  kubeConfig: KubeConfig
  /** Runs the built kubectl against this cluster; never rejects, so tests can assert on failures too. */
  kubectl(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<KubectlResult>
}

export async function kubectlBin(): Promise<string> {
  return (await ensureKubernetesBinaries({ log: () => {} })).bin.kubectl
}

/** The pinned helm, built on first use (a cold build takes a few minutes; call it from a beforeAll). */
export async function helmBin(): Promise<string> {
  return (await ensureHelm({ log: (l) => process.stderr.write(`[helm] ${l}\n`) })).helm
}

export function execCommand(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() })
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/**
 * A real dev cluster for a test: `await using cluster = await devCluster('down-a')`. It is stopped and
 * its data deleted when the scope ends; the suite's global teardown sweeps any a crashed test left.
 */
export async function devCluster(name: string, opts: Omit<UpOptions, 'env'> = {}): Promise<DevCluster> {
  const record = await up(name, opts)
  const kubectl = await kubectlBin()
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromFile(record.kubeconfig)
  return {
    record,
    name,
    server: record.server,
    kubeconfigPath: record.kubeconfig,
    kubeConfig,
    kubectl: (args, o = {}) => execCommand(kubectl, ['--kubeconfig', record.kubeconfig, ...args], o),
    [Symbol.asyncDispose]: () => down(name),
  }
}
