import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DevCluster } from './dev-cluster.ts'
import { until } from './streams.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface LogLine {
  msg: string
  identity?: string
  [k: string]: unknown
}

export interface RunnerProcess extends AsyncDisposable {
  child: ChildProcess
  /** Parsed JSON log lines so far. */
  logs(): LogLine[]
  /** Raw output so far (stdout and stderr), for failure messages. */
  output(): string
  /** Resolves once the runner is serving: its identity and /metrics URL. */
  ready: Promise<{ identity: string; metricsUrl: string }>
  signal(s: NodeJS.Signals): void
  /** Sends `signal` and waits for the exit (no-op if it already exited). */
  kill(signal?: NodeJS.Signals): Promise<void>
  alive(): boolean
}

export interface RunnerTimings {
  leaseDuration: number
  renewDeadline: number
  retryPeriod: number
}

export interface TestRunnerOptions {
  leaseName: string
  timings: RunnerTimings
  namespace?: string
  /** Another way to the same cluster (through Toxiproxy); default the cluster's own kubeconfig. */
  kubeconfigPath?: string
  /** Added to the environment (a skewed clock: test/support/faketime.ts). */
  env?: NodeJS.ProcessEnv
}

/**
 * A runner process with the test controller (test/support/runner-test-main.ts), against `cluster`,
 * with metrics on a free loopback port.
 */
export function startTestRunner(cluster: DevCluster, opts: TestRunnerOptions): RunnerProcess {
  const t = opts.timings
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'test', 'support', 'runner-test-main.ts'),
    '--kubeconfig',
    opts.kubeconfigPath ?? cluster.kubeconfigPath,
    '--namespace',
    opts.namespace ?? 'cattle-system',
    '--lease-name',
    opts.leaseName,
    '--lease-duration',
    String(t.leaseDuration),
    '--renew-deadline',
    String(t.renewDeadline),
    '--retry-period',
    String(t.retryPeriod),
    '--metrics-addr',
    '127.0.0.1:0',
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, DROVER_LOG_LEVEL: 'debug', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let partial = ''
  const lines: LogLine[] = []
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
    partial += d.toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine)
      } catch {
        // not a log line
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const alive = () => child.exitCode === null && child.signalCode === null
  const ready = until(() => !alive() || lines.some((l) => l.msg === 'runner started'), 60_000).then(() => {
    const started = lines.find((l) => l.msg === 'runner started')
    if (!started) throw new Error(`runner exited before starting: ${out}`)
    return { identity: started.identity!, metricsUrl: String(started.metrics) }
  })
  ready.catch(() => {})
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!alive()) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill(signal)
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await exited
  }
  return {
    child,
    logs: () => lines,
    output: () => out,
    ready,
    signal: (s) => child.kill(s),
    kill,
    alive,
    [Symbol.asyncDispose]: async () => {
      if (alive()) child.kill('SIGCONT')
      await kill('SIGKILL')
    },
  }
}

/** The leader gauge of a runner's /metrics: 1 leading, 0 not. */
export async function leaderGauge(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text()
  const m = /^drover_runner_leader\{[^}]*\} (\d+)/m.exec(text)
  if (!m) throw new Error(`no drover_runner_leader in /metrics:\n${text.slice(0, 500)}`)
  return Number(m[1])
}

/** The Lease's holderIdentity ('' when released or missing). */
export async function leaseHolder(cluster: DevCluster, namespace: string, name: string): Promise<string> {
  const r = await cluster.kubectl(['get', 'lease', '-n', namespace, name, '-o', 'jsonpath={.spec.holderIdentity}'])
  return r.code === 0 ? r.stdout.trim() : ''
}

/** The annotations of ConfigMap `name` in `default` (what the test runner's annotator writes); {} when none. */
export async function configMapAnnotations(cluster: DevCluster, name: string): Promise<Record<string, string>> {
  const r = await cluster.kubectl(['get', 'configmap', name, '-o', 'jsonpath={.metadata.annotations}'])
  return r.code === 0 && r.stdout ? (JSON.parse(r.stdout) as Record<string, string>) : {}
}

/** Applies ConfigMap `name` in `default` with `value`, labelled for the test runner's annotator to sign. */
export async function setAnnotatedValue(cluster: DevCluster, name: string, value: string, extra: Record<string, string> = {}): Promise<void> {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { 'drover.test/annotate': 'true' } }, data: { value, ...extra } }
  const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm) })
  if (r.code !== 0) throw new Error(`applying ConfigMap ${name}: ${r.stderr}`)
}
