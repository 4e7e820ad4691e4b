import { readFileSync } from 'node:fs'
import { stopSignal } from './signals.ts'
import { parseArgs } from 'node:util'
import { Manager, ManagerError } from '../controller-runner/manager.ts'
import { parseListenAddress } from '../node/http-server.ts'
import { KubeConfigError, loadKubeConfig } from '../node/kube/index.ts'
import { validateTimings, type LeaderElectionTimings } from '../controller-runner/runtime/leader-election.ts'
import { createLogger } from '../node/log.ts'
import type { ControllerContext, ControllerSpec, EdgeConfig } from '../controller-runner/runtime/types.ts'
import { UsageError } from './usage.ts'

const MAX_TIMER_MS = 2 ** 31 - 1

export interface RunnerOptions {
  kubeconfig?: string
  namespace: string
  leaseName: string
  timings: LeaderElectionTimings
  metricsAddr: { host: string; port: number }
  edge?: EdgeConfig
  serverUrl?: string
}

/** What a runner registers: its controllers, and work to do once per leadership term (seeding). */
export interface RunnerWiring {
  controllers: ControllerSpec[]
  whenLeading?: (signal: AbortSignal) => Promise<void>
}

export type WireFn = (ctx: ControllerContext) => RunnerWiring | Promise<RunnerWiring>

/**
 * `drover runner`: the controller runner. Flags:
 *   --kubeconfig PATH        the management cluster (else in-cluster, else $KUBECONFIG)
 *   --namespace NS           where the Lease lives (default cattle-system; must exist)
 *   --lease-name NAME        (default drover-controller-runner)
 *   --lease-duration S, --renew-deadline S, --retry-period S   (default 15, 10, 2; client-go's rules)
 *   --metrics-addr HOST:PORT /healthz, /readyz, /metrics (default 127.0.0.1:8080)
 *   --edge-url URL, --edge-token T, --edge-ca PEM-FILE   downstream access (env DROVER_EDGE_URL,
 *                            DROVER_EDGE_TOKEN, DROVER_EDGE_CA; the token is best kept out of `ps`)
 *   --server-url URL         the public URL for import manifests (env DROVER_SERVER_URL)
 */
export function parseRunnerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunnerOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', default: 'cattle-system' },
      'lease-name': { type: 'string', default: 'drover-controller-runner' },
      'lease-duration': { type: 'string', default: '15' },
      'renew-deadline': { type: 'string', default: '10' },
      'retry-period': { type: 'string', default: '2' },
      'metrics-addr': { type: 'string', default: '127.0.0.1:8080' },
      'edge-url': { type: 'string' },
      'edge-token': { type: 'string' },
      'edge-ca': { type: 'string' },
      'server-url': { type: 'string' },
    },
  })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  if (values.kubeconfig === '') throw new UsageError('--kubeconfig needs a path')
  if (!values.namespace) throw new UsageError('--namespace needs a namespace')
  if (!values['lease-name']) throw new UsageError('--lease-name needs a name')
  const seconds = (flag: 'lease-duration' | 'renew-deadline' | 'retry-period') => {
    const v = Number(values[flag])
    // Node fires a timer longer than 2^31-1 ms after 1 ms: such a period would spin, not wait.
    if (!Number.isFinite(v) || v <= 0 || v * 1000 > MAX_TIMER_MS) throw new UsageError(`--${flag} must be a positive number of seconds (at most ${Math.floor(MAX_TIMER_MS / 1000)}), not "${values[flag]}"`)
    return Math.round(v * 1000)
  }
  const timings = { leaseDurationMs: seconds('lease-duration'), renewDeadlineMs: seconds('renew-deadline'), retryPeriodMs: seconds('retry-period') }
  try {
    validateTimings(timings)
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (--lease-duration > --renew-deadline > 1.2 × --retry-period)`)
  }
  let metricsAddr
  try {
    metricsAddr = parseListenAddress(values['metrics-addr'])
  } catch (e) {
    throw new UsageError(`--metrics-addr: ${(e as Error).message}`)
  }
  const edgeUrl = values['edge-url'] ?? env.DROVER_EDGE_URL
  const edgeToken = values['edge-token'] ?? env.DROVER_EDGE_TOKEN
  const edgeCa = values['edge-ca'] ?? env.DROVER_EDGE_CA
  const serverUrl = values['server-url'] ?? env.DROVER_SERVER_URL
  for (const [flag, v] of [['--edge-url', edgeUrl], ['--server-url', serverUrl]] as const) {
    if (v !== undefined && !/^https?:\/\/[^/]/.test(v)) throw new UsageError(`${flag} must be an http:// or https:// URL, not "${v}"`)
  }
  if (edgeUrl && !edgeToken) throw new UsageError('--edge-url needs --edge-token (or DROVER_EDGE_TOKEN in the environment)')
  let edge: EdgeConfig | undefined
  if (edgeUrl && edgeToken) {
    let ca: string | undefined
    if (edgeCa) {
      try {
        ca = readFileSync(edgeCa, 'utf8')
      } catch (e) {
        throw new UsageError(`--edge-ca: cannot read ${edgeCa}: ${(e as Error).message}`)
      }
    }
    edge = { url: edgeUrl, token: edgeToken, ...(ca ? { ca } : {}) }
  }
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    namespace: values.namespace,
    leaseName: values['lease-name'],
    timings,
    metricsAddr,
    ...(edge ? { edge } : {}),
    ...(serverUrl ? { serverUrl } : {}),
  }
}

/** Builds the manager with what `wire` registers, runs until SIGINT/SIGTERM, then stops it and releases the Lease. */
export async function runRunner(opts: RunnerOptions, wire: WireFn): Promise<number> {
  const logger = createLogger('drover-runner')
  let manager: Manager
  try {
    const kubeConfig = loadKubeConfig(opts.kubeconfig)
    manager = new Manager({
      kubeConfig,
      logger,
      leaseNamespace: opts.namespace,
      leaseName: opts.leaseName,
      timings: opts.timings,
      metricsAddr: opts.metricsAddr,
      ...(opts.edge ? { edge: opts.edge } : {}),
      ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}),
    })
    const wiring = await wire(manager.context)
    for (const spec of wiring.controllers) manager.add(spec)
    if (wiring.whenLeading) manager.addLeaderTask('bootstrap', wiring.whenLeading)
    await manager.start()
  } catch (e) {
    if (e instanceof ManagerError || e instanceof KubeConfigError) {
      process.stderr.write(`drover: ${e.message}\n`)
      return 1
    }
    throw e
  }
  const signal = await stopSignal()
  logger.info({ signal }, 'stopping the runner')
  await manager.stop()
  logger.info('runner stopped')
  return 0
}

export async function runnerCommand(argv: string[]): Promise<number> {
  const opts = parseRunnerArgs(argv)
  const reconcilers = await import('../controller-runner/reconcilers/index.ts')
  const { ensureBootstrapAdmin } = await import('../controller-runner/bootstrap/admin.ts')
  const { ensureLocalCluster } = await import('../controller-runner/bootstrap/local-cluster.ts')
  return runRunner(opts, (ctx) => {
    const built = reconcilers.buildReconcilers(reconcilers.fromControllerContext(ctx))
    // Seeding and bootstrap write through the leader-guarded client, like every reconcile.
    const whenLeading = async () => {
      await built.seed()
      await ensureLocalCluster(ctx.client)
      const password = process.env.DROVER_BOOTSTRAP_PASSWORD
      const admin = await ensureBootstrapAdmin(ctx.client, password ? { password } : {})
      // Never logged: `drover start` prints it once; a Helm install reads it from the Secret.
      if (admin.created) ctx.logger.info({ username: admin.username, userId: admin.userId }, 'bootstrap admin created; its first password is in Secret cattle-system/bootstrap-secret (kubectl -n cattle-system get secret bootstrap-secret -o jsonpath={.data.bootstrapPassword} | base64 -d)')
    }
    return { controllers: built.specs, whenLeading }
  })
}
