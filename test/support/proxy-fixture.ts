import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent as UndiciAgent, fetch as undiciFetch, type Response as UndiciResponse } from 'undici'
import { stringify } from 'yaml'
import { startLocalEdge, type LocalEdge, type LocalEdgeOptions } from '../../infra/edge/local-edge.ts'
import type { Identity } from '../../protocol/tunnel/index.ts'
import { execCommand, kubectlBin, type DevCluster, type KubectlResult } from './dev-cluster.ts'

export interface UserToken {
  token: string
  identity: Identity
  clusters: '*' | string[]
}

const ROOT = join(import.meta.dirname, '..', '..')

export interface TestEdge extends LocalEdge {
  /** The edge CA as a file, for NODE_EXTRA_CA_CERTS. */
  caFile: string
  /** fetch() against the edge, trusting its CA. */
  fetch(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string; redirect?: 'manual' | 'follow' }): Promise<UndiciResponse>
}

/** The edge's test entry: the deployed app plus fixed tokens (test/workerd/static-tokens.ts). */
const TEST_ENTRY = join(ROOT, 'test', 'workerd', 'worker.ts')

/** The edge in workerd with fixed test tokens for users and for each cluster's agents. */
export async function startEdge(
  users: UserToken[],
  agents: Record<string, string>,
  bindings: Record<string, string> = {},
  edgeOptions: Pick<LocalEdgeOptions, 'inspectorPort' | 'directSocket' | 'persistDir' | 'tls' | 'port' | 'auditLog' | 'staticAssets'> = {},
): Promise<TestEdge> {
  const tokens = {
    users: Object.fromEntries(users.map((u) => [u.token, { identity: u.identity, clusters: u.clusters }])),
    agents,
  }
  const edge = await startLocalEdge({ ...edgeOptions, entry: TEST_ENTRY, bindings: { ...bindings, DROVER_STATIC_TOKENS: JSON.stringify(tokens) } })
  const caFile = join(mkdtempSync(join(tmpdir(), 'drover-edge-ca-')), 'ca.crt')
  await writeFile(caFile, edge.caPem)
  const dispatcher = new UndiciAgent({ connect: { ca: edge.caPem } })
  return Object.assign(edge, { caFile, fetch: (path: string, init = {}) => undiciFetch(new URL(path, edge.url), { ...init, dispatcher }) })
}

export interface AgentProcess extends AsyncDisposable {
  child: ChildProcess
  output(): string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/**
 * `drover agent` as a separate process, as it runs for a cluster without nodes; `args` are extra flags.
 * `program`: the sources through tsx (default), or the bundle the image runs (`ensurePrograms()` first).
 */
export function startAgent(edge: TestEdge, token: string, kubeconfig: string, args: string[] = [], program: 'source' | 'bundle' = 'source'): AgentProcess {
  const entry = program === 'bundle' ? join(ROOT, 'dist', 'drover.mjs') : join(ROOT, 'bin', 'drover.js')
  const child = spawn(process.execPath, [entry, 'agent', '--server', edge.url.origin, '--kubeconfig', kubeconfig, ...args], {
    env: { ...process.env, DROVER_AGENT_TOKEN: token, NODE_EXTRA_CA_CERTS: edge.caFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill(signal)
    await exited
  }
  return { child, output: () => out, kill, [Symbol.asyncDispose]: () => kill('SIGTERM') }
}

/** A kubeconfig that reaches `clusterId` through the edge with a user token. */
export async function edgeKubeconfig(dir: string, edge: LocalEdge, clusterId: string, token: string): Promise<string> {
  const file = join(dir, `edge-${clusterId}-${token.replace(/[^a-z0-9-]/gi, '').slice(0, 40)}.kubeconfig`)
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: clusterId,
          cluster: { server: `${edge.url.origin}/k8s/clusters/${clusterId}`, 'certificate-authority-data': Buffer.from(edge.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'user', user: { token } }],
      contexts: [{ name: clusterId, context: { cluster: clusterId, user: 'user' } }],
      'current-context': clusterId,
    }),
    { mode: 0o600 },
  )
  return file
}

export async function kubectlVia(kubeconfig: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KubectlResult> {
  return execCommand(await kubectlBin(), ['--kubeconfig', kubeconfig, ...args], opts)
}

/** Waits until the edge reaches the cluster through an agent (the agent dials asynchronously). */
export async function waitConnected(kubeconfig: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: KubectlResult | undefined
  while (Date.now() < deadline) {
    last = await kubectlVia(kubeconfig, ['get', '--raw', '/version'])
    if (last.code === 0) return
    await sleep(200)
  }
  throw new Error(`cluster not reachable through the edge: ${last?.stderr}`)
}

/** Grants a group cluster-admin in the dev cluster, directly (not through the edge). */
export async function grantClusterAdmin(cluster: DevCluster, group: string): Promise<void> {
  const r = await cluster.kubectl(['create', 'clusterrolebinding', `admin-${group}`, '--clusterrole=cluster-admin', `--group=${group}`])
  if (r.code !== 0) throw new Error(r.stderr)
}
