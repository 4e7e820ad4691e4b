import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { KubeConfig } from '@kubernetes/client-node'
import { kubeConfigTransport } from '../node/kube/index.ts'
import { KubeClient } from '../protocol/kube/index.ts'
import { ensureBootstrapAdmin } from '../controller-runner/bootstrap/admin.ts'
import { ensureLocalCluster } from '../controller-runner/bootstrap/local-cluster.ts'
import { down, stop, up } from '../infra/dev-cluster/cluster.ts'
import { health, readRecord } from '../infra/dev-cluster/state.ts'
import { generateEdgeTls, startLocalEdge, type EdgeTls, type LocalEdge } from '../infra/edge/local-edge.ts'
import { generateEdgeSecrets, type EdgeSecrets } from '../infra/edge/secrets.ts'
import { ensurePrograms } from '../infra/build/programs.ts'
import { ensureUi } from '../infra/build/ui.ts'
import { ensureKubernetesBinaries } from '../infra/kubernetes/build.ts'
import { applyManagement, waitForCrds } from './management-setup.ts'
import { stderrLog } from './progress.ts'
import { spawnDrover, type Child } from './stack-processes.ts'
import { requestHeaderCaFor, startStackExtApiServer, type StackExtApiServer } from './stack-ext-apiserver.ts'
import { StartError, UsageError } from './usage.ts'
import { EXT_APISERVICE } from '../protocol/api/ext.ts'
import { errorText } from '../node/log.ts'

const MANAGEMENT = 'management'
const DEFAULT_PORT = 8443

export interface StackState {
  url: string
  adminUsername: string
  adminPassword: string
  adminToken: string
  managementKubeconfig: string
  /** The edge's CA, for clients of https://127.0.0.1 (kubectl, curl --cacert, NODE_EXTRA_CA_CERTS). */
  caFile: string
  /** Bearer token that scrapes the edge's `/metrics` (Prometheus text). */
  metricsToken: string
}

async function loadOrCreate<T>(file: string, make: () => Promise<T>): Promise<T> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as T
  const value = await make()
  await writeFile(file, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 })
  return value
}

/**
 * The management cluster: the one given, the running dev cluster, or a dev cluster started on its kept
 * data. A full dev cluster, not a lite one: a deleted Cluster's namespace must really go away, which takes
 * the namespace and garbage-collection controllers, as in a real management cluster.
 */
async function managementCluster(kubeconfig: string | undefined): Promise<{ kubeconfig: string; stopAtExit: boolean }> {
  if (kubeconfig) {
    if (!existsSync(kubeconfig)) throw new StartError(`--kubeconfig ${kubeconfig}: no such file`)
    return { kubeconfig: resolve(kubeconfig), stopAtExit: false }
  }
  const existing = await readRecord(MANAGEMENT)
  if (existing && health(existing) === 'running') {
    stderrLog(`reusing the running management cluster at ${existing.server}`)
    return { kubeconfig: existing.kubeconfig, stopAtExit: false }
  }
  if (existing && health(existing) === 'degraded') await stop(MANAGEMENT)
  const keepData = existing !== undefined
  if (keepData) stderrLog('starting the management cluster on the data of the last start')
  try {
    const rec = await up(MANAGEMENT, { mode: 'full', log: stderrLog, keepData })
    return { kubeconfig: rec.kubeconfig, stopAtExit: true }
  } catch (e) {
    if (!keepData) throw e
    stderrLog(`the kept management data did not start (${e instanceof Error ? e.message : String(e)}); starting afresh`)
    await down(MANAGEMENT).catch(() => {})
    const rec = await up(MANAGEMENT, { mode: 'full', log: stderrLog })
    return { kubeconfig: rec.kubeconfig, stopAtExit: true }
  }
}

/** The local stack audits every request with its headers (redacted) unless DROVER_AUDIT_POLICY says otherwise. */
const LOCAL_AUDIT_POLICY = '{"enabled":true,"level":1}'

async function startEdge(secrets: EdgeSecrets & { DROVER_METRICS_TOKEN: string }, tls: EdgeTls, port: number, persistDir: string, auditLog: string): Promise<LocalEdge> {
  try {
    const bindings = { ...secrets, DROVER_AUDIT_POLICY: process.env.DROVER_AUDIT_POLICY || LOCAL_AUDIT_POLICY }
    return await startLocalEdge({ bindings, tls, port, persistDir, auditLog })
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(String(e))) {
      throw new StartError(`port ${port} is in use: stop what holds it, or pass --port <another port>`)
    }
    throw e
  }
}

/**
 * Miniflare installs SIGINT/SIGTERM handlers that exit the process at once; the stack needs its own
 * orderly stop (runner releases its Lease, cluster data is kept), so those handlers are taken off again.
 * Its exit hook stays: workerd still dies with this process whatever happens.
 */
async function withoutExitOnSignal<T>(fn: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM'] as const
  const before = new Map(signals.map((s) => [s, process.listeners(s)]))
  try {
    return await fn()
  } finally {
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l)
  }
}

async function assertPortFree(port: number): Promise<void> {
  const { createServer } = await import('node:net')
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new StartError(`port ${port} is in use: stop what holds it, or pass --port <another port>`) : e))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()))
  })
}

interface EdgeResult {
  status: number
  body: Record<string, unknown>
  token?: string
}

async function edgeCall(edge: LocalEdge, method: string, path: string, body?: unknown, token?: string): Promise<EdgeResult> {
  const { Agent, fetch } = await import('undici')
  const dispatcher = new Agent({ connect: { ca: edge.caPem } })
  try {
    const res = await fetch(new URL(path, edge.url), {
      method,
      dispatcher,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>
    return { status: res.status, body: parsed, ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}) }
  } catch {
    return { status: 0, body: {} } // not answering yet
  } finally {
    await dispatcher.close()
  }
}

/**
 * The admin's API key for state.json: the last start's while it still works (so keys do not pile up
 * over restarts), else a new one made from a login session that is logged out again. Retries while the
 * local tunnel comes up.
 */
async function adminToken(edge: LocalEdge, username: string, password: string, previous: StackState | undefined): Promise<string> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (previous?.adminToken) {
      const check = await edgeCall(edge, 'GET', '/v3/tokens?limit=1', undefined, previous.adminToken)
      if (check.status === 200) return previous.adminToken
    }
    const login = await edgeCall(edge, 'POST', '/v3-public/localProviders/local?action=login', { username, password, responseType: 'json', description: 'drover start' })
    if (login.status === 201 && login.token) {
      const key = await edgeCall(edge, 'POST', '/v3/tokens', { description: 'drover start: .drover/state.json' }, login.token)
      await edgeCall(edge, 'POST', '/v3/tokens?action=logout', {}, login.token)
      if (key.token) return key.token
      throw new StartError(`creating the admin API key failed: HTTP ${key.status} ${JSON.stringify(key.body)}`)
    }
    if (Date.now() > deadline) throw new StartError(`logging in as ${username} failed (HTTP ${login.status} ${JSON.stringify(login.body)}); see .drover/logs/`)
    await sleep(500)
  }
}

/**
 * `drover start`: the whole local stack — the management cluster (a dev cluster, or `--kubeconfig`),
 * the edge in workerd, the controller runner and cluster `local`'s agent — with progress on stderr, the
 * URL and admin credentials printed and written to `.drover/state.json`. Data (cluster objects, edge
 * secrets and certificate, Durable Object storage) is kept in `.drover` and the dev-cluster state
 * directory, so a second start comes back with the same users, tokens and clusters. Ctrl-C stops
 * everything this command started.
 */
export async function startCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, kubeconfig: { type: 'string' }, 'admin-password': { type: 'string' } },
    allowPositionals: true,
  })
  if (positionals.length) throw new UsageError(`start takes no arguments, only options (got "${positionals[0]}")`)
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (0: any free port), got "${values.port}"`)
  const adminPassword = values['admin-password'] ?? process.env.DROVER_BOOTSTRAP_PASSWORD
  if (adminPassword !== undefined && adminPassword.length < 12) throw new UsageError('--admin-password must be at least 12 characters')

  const started = Date.now()
  // Before anything is built or started: a taken port should cost the user seconds, not a cluster start.
  if (port !== 0) await assertPortFree(port)
  const dir = join(process.cwd(), '.drover')
  await mkdir(join(dir, 'logs'), { recursive: true })
  const children: Child[] = []
  let edge: LocalEdge | undefined
  let mgmt: { kubeconfig: string; stopAtExit: boolean } | undefined
  let ext: StackExtApiServer | undefined
  const stopAll = async () => {
    // First: its APIService goes while the management cluster still answers.
    await ext?.stop()
    for (const c of children.reverse()) await c.stop()
    await edge?.dispose().catch(() => {})
    if (mgmt?.stopAtExit) {
      stderrLog('stopping the management cluster (its data is kept for the next start)…')
      await stop(MANAGEMENT).catch(() => {})
    }
  }
  let failed: (reason: string) => void = () => {}
  const childFailed = new Promise<string>((r) => (failed = r))
  // Ctrl-C at any point stops what is running; during start-up it takes effect after the current step.
  let signalled: string | undefined
  const signal = new Promise<string>((r) => {
    process.once('SIGINT', () => r((signalled = 'interrupted')))
    process.once('SIGTERM', () => r((signalled = 'terminated')))
  })
  const step = () => {
    if (signalled) throw new StartError(`${signalled} during start-up; stopped what had started`)
  }

  try {
    stderrLog('checking the Kubernetes build (built once, then cached)…')
    await ensureKubernetesBinaries({ log: stderrLog })
    // The agent and the runner run bundled (dist/), as in the image: built again when a source changed.
    await ensurePrograms({ log: stderrLog })
    // The web UI the edge serves at its URL (dist/ui), built again when ui/ changed.
    await ensureUi({ log: stderrLog })
    step()
    mgmt = await managementCluster(values.kubeconfig)
    step()
    const kc = new KubeConfig()
    kc.loadFromFile(mgmt.kubeconfig)
    if (values.kubeconfig) await waitForCrds(mgmt.kubeconfig, stderrLog)
    stderrLog('applying drover\'s management RBAC and namespaces…')
    await applyManagement(mgmt.kubeconfig)
    // Before any runner leads (it repeats this, leader-guarded): the admin must exist to be printed.
    const transport = kubeConfigTransport(kc)
    const admin = await (async () => {
      try {
        const client = new KubeClient(transport)
        await ensureLocalCluster(client)
        return await ensureBootstrapAdmin(client, adminPassword ? { password: adminPassword } : {})
      } finally {
        transport.close()
      }
    })()

    const edgeSecrets = await loadOrCreate(join(dir, 'edge-secrets.json'), generateEdgeSecrets)
    // Kept apart from the edge's secrets so a .drover/ of an earlier version gains it without a migration.
    const metrics = await loadOrCreate(join(dir, 'edge-metrics-token.json'), async () => ({ DROVER_METRICS_TOKEN: randomBytes(32).toString('base64url') }))
    const secrets = { ...edgeSecrets, ...metrics }
    const tls = await loadOrCreate(join(dir, 'edge-tls.json'), generateEdgeTls)
    const caFile = join(dir, 'edge-ca.crt')
    await writeFile(caFile, tls.caPem)
    stderrLog(`starting the edge in workerd on port ${port}…`)
    edge = await withoutExitOnSignal(() => startEdge(secrets, tls, port, join(dir, 'edge-data'), join(dir, 'logs', 'audit.log')))
    step()
    const url = edge.url.origin
    await applyManagement(mgmt.kubeconfig, { serverUrl: url, caPem: tls.caPem })

    const onExit = (name: string) => (code: number | null) => failed(`${name} exited (code ${code}); its log is .drover/logs/${name}.log`)
    stderrLog('starting cluster local\'s agent and the controller runner…')
    children.push(spawnDrover('agent', ['agent', '--server', url, '--kubeconfig', mgmt.kubeconfig], { DROVER_AGENT_TOKEN: secrets.DROVER_LOCAL_AGENT_TOKEN, NODE_EXTRA_CA_CERTS: caFile }, join(dir, 'logs', 'agent.log'), onExit('agent')))
    children.push(spawnDrover('runner', ['runner', '--kubeconfig', mgmt.kubeconfig, '--edge-url', url, '--edge-ca', caFile, '--server-url', url, '--metrics-addr', '127.0.0.1:0'], { DROVER_EDGE_TOKEN: secrets.DROVER_RUNNER_TOKEN }, join(dir, 'logs', 'runner.log'), onExit('runner')))

    step()
    const extLine = await (async () => {
      stderrLog('starting the extension API server (LDAP/AD and SAML logins)…')
      try {
        const requestHeaderCaFile = await requestHeaderCaFor(mgmt.kubeconfig, values.kubeconfig ? undefined : MANAGEMENT)
        ext = await startStackExtApiServer(
          { adminKubeconfig: mgmt.kubeconfig, dir, log: stderrLog, passwordPeppers: secrets.DROVER_PASSWORD_PEPPERS, ...(requestHeaderCaFile ? { requestHeaderCaFile } : {}) },
          (message) => stderrLog(`drover: ${message}`),
        )
        return `${ext.url}   (APIService ${EXT_APISERVICE}, Available)`
      } catch (e) {
        // Only directory logins depend on it: the stack stays up, and says so.
        stderrLog(`drover: extension API server: ${errorText(e)}. The rest of the stack runs without it; LDAP/AD and SAML logins fail.`)
        return 'not running (see the message above)'
      }
    })()
    step()
    const statePath = join(dir, 'state.json')
    const previous = existsSync(statePath) ? (JSON.parse(await readFile(statePath, 'utf8')) as StackState) : undefined
    const token = await adminToken(edge, admin.username, admin.password || previous?.adminPassword || '', previous)
    const state: StackState = {
      url,
      adminUsername: admin.username,
      adminPassword: admin.password || previous?.adminPassword || '',
      adminToken: token,
      managementKubeconfig: mgmt.kubeconfig,
      caFile,
      metricsToken: metrics.DROVER_METRICS_TOKEN,
    }
    await writeFile(statePath, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    process.stdout.write(
      [
        '',
        `drover is ready after ${seconds} s`,
        `  URL:            ${url}   (CA: ${caFile})`,
        `  admin:          ${state.adminUsername} / ${state.adminPassword}${admin.generated ? '   (generated: shown once; also in .drover/state.json)' : ''}`,
        `  admin token:    in .drover/state.json`,
        `  kubeconfig:     ${mgmt.kubeconfig}   (the management cluster, direct)`,
        `  ext apiserver:  ${extLine}`,
        `  logs:           ${join(dir, 'logs')}   (audit: audit.log)`,
        `  metrics:        ${url}/metrics   (Authorization: Bearer <metricsToken in .drover/state.json>)`,
        'Ctrl-C stops everything this command started.',
        '',
      ].join('\n'),
    )
    const why = await Promise.race([signal, childFailed])
    stderrLog(`${why}: stopping…`)
    await stopAll()
    return why === 'interrupted' || why === 'terminated' ? 0 : 1
  } catch (e) {
    await stopAll()
    throw e
  }
}
