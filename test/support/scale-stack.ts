// The stack the scale bench and the short scale test run against: a lite management dev cluster, the edge
// in workerd on a fixed port with persisted Durable Object storage and a kept certificate (so it can be
// restarted or "deployed" under its agents), the real `local` agent, an admin bound to cluster-admin and
// logged in through /v3-public, and optionally the real controller runner.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureBootstrapAdmin } from '../../controller-runner/bootstrap/admin.ts'
import { ensureLocalCluster } from '../../controller-runner/bootstrap/local-cluster.ts'
import { freePort } from '../../infra/dev-cluster/ports.ts'
import { generateEdgeTls, type EdgeTls } from '../../infra/edge/local-edge.ts'
import { generateEdgeSecrets, type EdgeSecrets } from '../../infra/edge/secrets.ts'
import { builtinGlobalRoles, builtinRoleTemplates, downstreamRbac, managementRbac } from '../../infra/management/index.ts'
import { kubeConfigTransport } from '../../node/kube/index.ts'
import { KubeClient } from '../../protocol/kube/index.ts'
import { devCluster, type DevCluster } from './dev-cluster.ts'
import { startAgent, startEdge, type AgentProcess, type TestEdge } from './proxy-fixture.ts'

const ROOT = join(import.meta.dirname, '..', '..')

export interface ScaleStack extends AsyncDisposable {
  mc: DevCluster
  /** The edge now running (a new object after each restart). */
  readonly edge: TestEdge
  local: AgentProcess
  secrets: EdgeSecrets
  /** Direct to the management apiserver, as its admin. */
  kube: KubeClient
  /** An admin's drover token (cluster-admin in the management cluster). */
  adminToken: string
  /** Stops the edge; `start` brings it back on the same port, storage and certificate, with extra bindings. */
  stopEdge(): Promise<void>
  startEdge(bindings?: Record<string, string>): Promise<TestEdge>
  /** GET through the edge as the admin: status, or 0 with the error's text when no answer came. */
  get(path: string, signal?: AbortSignal): Promise<{ status: number; text: string }>
}

async function apply(mc: DevCluster, objects: unknown[]): Promise<void> {
  const r = await mc.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
}

export async function scaleStack(name: string, opts: { runner?: boolean; log?: (s: string) => void; bindings?: Record<string, string> } = {}): Promise<ScaleStack> {
  const log = opts.log ?? (() => {})
  const mc = await devCluster(name, { mode: 'lite' })
  const cleanup: (() => Promise<unknown>)[] = [async () => mc[Symbol.asyncDispose]()]
  const persistDir = mkdtempSync(join(tmpdir(), 'drover-scale-edge-'))
  cleanup.unshift(async () => rmSync(persistDir, { recursive: true, force: true }))
  try {
    await apply(mc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system' } }, ...managementRbac(), ...downstreamRbac()])
    if (!opts.runner) await apply(mc, [...builtinGlobalRoles, ...builtinRoleTemplates].map((o) => ({ ...o })))
    const transport = kubeConfigTransport(mc.kubeConfig)
    cleanup.unshift(async () => transport.close())
    const kube = new KubeClient(transport)
    await ensureLocalCluster(kube)
    const admin = await ensureBootstrapAdmin(kube, {})
    if (!opts.runner) {
      const r = await mc.kubectl(['create', 'clusterrolebinding', `scale-admin-${admin.userId}`, '--clusterrole=cluster-admin', `--user=${admin.userId}`])
      if (r.code !== 0) throw new Error(r.stderr)
    }
    const [secrets, tls, port]: [EdgeSecrets, EdgeTls, number] = await Promise.all([generateEdgeSecrets(), generateEdgeTls(), freePort()])
    let edge: TestEdge | undefined
    // DROVER_EDGE_INSPECTOR_PORT opens the edge's V8 inspector on that loopback port (heap figures for bench:soak).
    const inspectorPort = Number(process.env.DROVER_EDGE_INSPECTOR_PORT)
    const inspector = Number.isInteger(inspectorPort) && inspectorPort > 0 ? { inspectorPort } : {}
    // `opts.bindings` hold for every start (bench:soak's metrics token); a restart's own come on top.
    const start = async (bindings: Record<string, string> = {}) => {
      edge = await startEdge([], {}, { ...secrets, ...opts.bindings, ...bindings }, { persistDir, tls, port, ...inspector })
      return edge
    }
    const stop = async () => {
      const e = edge
      edge = undefined
      await e?.dispose()
    }
    cleanup.unshift(stop)
    log('starting the edge and the local agent')
    await start()
    const local = startAgent(edge!, secrets.DROVER_LOCAL_AGENT_TOKEN, mc.kubeconfigPath)
    cleanup.unshift(() => local.kill('SIGTERM'))
    if (opts.runner) {
      const runner: ChildProcess = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'drover.js'), 'runner', '--kubeconfig', mc.kubeconfigPath, '--edge-url', edge!.url.origin, '--edge-ca', edge!.caFile, '--server-url', edge!.url.origin, '--metrics-addr', '127.0.0.1:0'],
        { env: { ...process.env, DROVER_EDGE_TOKEN: secrets.DROVER_RUNNER_TOKEN, NODE_EXTRA_CA_CERTS: edge!.caFile }, stdio: ['ignore', 'ignore', 'inherit'] },
      )
      cleanup.unshift(async () => {
        if (runner.exitCode !== null || runner.signalCode !== null) return
        const exited = new Promise((r) => runner.once('exit', r))
        runner.kill('SIGTERM')
        await exited
      })
    }
    const get: ScaleStack['get'] = async (path, signal) => {
      try {
        const res = await edge!.fetch(path, { headers: { authorization: `Bearer ${adminToken}` }, ...(signal ? { signal } : {}) } as Parameters<TestEdge['fetch']>[1])
        return { status: res.status, text: await res.text() }
      } catch (e) {
        return { status: 0, text: String((e as Error).cause ?? e) }
      }
    }
    // Logging in needs the management API through `local`'s tunnel (and with the runner, the admin's role).
    log('logging in as the admin')
    let adminToken = ''
    const deadline = Date.now() + 120_000
    for (;;) {
      const res = await edge!.fetch('/v3-public/localProviders/local?action=login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: admin.username, password: admin.password, responseType: 'json' }),
      }).catch(() => undefined)
      const body = res ? ((await res.json().catch(() => ({}))) as { token?: string }) : {}
      if (body.token) {
        adminToken = body.token
        // With the runner, the admin may create only once it has written the admin's role binding.
        const roleReady = !opts.runner || (await mc.kubectl(['get', 'clusterrole', 'cattle-globalrole-admin', '-o', 'name'])).code === 0
        if (roleReady && (await get('/v3/clusters')).status === 200) break
      }
      if (Date.now() > deadline) throw new Error(`the admin could not log in through the edge (last ${res?.status})`)
      await sleep(500)
    }
    return {
      mc,
      get edge() {
        return edge!
      },
      local,
      secrets,
      kube,
      adminToken,
      stopEdge: stop,
      startEdge: start,
      get,
      async [Symbol.asyncDispose]() {
        for (const c of cleanup) await c().catch(() => {})
      },
    }
  } catch (e) {
    for (const c of cleanup) await c().catch(() => {})
    throw e
  }
}
