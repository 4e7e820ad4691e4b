// The stack bench:soak and the short soak test run against (issue 16): the scale stack with the real runner
// and the edge's /metrics on, one real downstream dev cluster (kwok pods for exec, logs and port-forward)
// with its real agent, and simulated agents (agent-sim.ts, a scale-only stand-in) for the rest. Every
// cluster is created through /v3 and registered by the runner, and every agent — real or simulated — dials
// the edge through its own Toxiproxy proxy, so each link can be cut on its own.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { ensureBootstrapAdmin } from '../../controller-runner/bootstrap/admin.ts'
import { forEachLimited } from '../../controller-runner/reconcilers/limit.ts'
import { freePort } from '../../infra/dev-cluster/ports.ts'
import { edgeTransports, kubeConfigTransport } from '../../node/kube/index.ts'
import type { ClusterRegistrationToken } from '../../protocol/crds/index.ts'
import { mgmt, type Transport } from '../../protocol/kube/index.ts'
import { AgentSim, type SimCluster } from './agent-sim.ts'
import { devCluster, type DevCluster } from './dev-cluster.ts'
import { edgeKubeconfig, startAgent, type AgentProcess, type TestEdge } from './proxy-fixture.ts'
import { scaleStack, type ScaleStack } from './scale-stack.ts'
import { ToxiproxyServer, type ToxiProxy } from './toxiproxy.ts'

/** One agent's link to the edge; `connected` says whether its agent has a tunnel session now. */
export interface Link {
  cluster: string
  proxy: ToxiProxy
  real: boolean
  connected(): boolean
}

export interface SoakStack extends AsyncDisposable {
  base: ScaleStack
  down: DevCluster
  toxi: ToxiproxyServer
  /** The real cluster's link first, then the simulated ones. */
  links: Link[]
  realCluster: string
  realAgent: AgentProcess
  /** The real agent's /metrics. */
  agentMetricsUrl: string
  metricsToken: string
  /** A kwok pod in the real cluster (exec, logs, port-forward). */
  pod: string
  /** kubectl's kubeconfig to the real cluster through the edge, as the admin. */
  kubeconfig: string
  /** The same client both ways: through the edge to the real cluster, and straight to its apiserver. */
  viaEdge: Transport
  direct: Transport
  /** Through the edge to any cluster, as the admin. */
  cluster(id: string): Transport
}

const METRICS_TOKEN = 'soak-metrics-token-0123456789abcdef'

/** How many Clusters to create through /v3 and wait for the runner's registration tokens. */
async function createClusters(base: ScaleStack, names: string[], log: (s: string) => void): Promise<SimCluster[]> {
  const ids: string[] = []
  await forEachLimited(names, 16, async (name) => {
    const res = await base.edge.fetch('/v3/clusters', {
      method: 'POST',
      headers: { authorization: `Bearer ${base.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'cluster', name }),
    })
    const body = (await res.json()) as { id?: string; message?: string }
    if (res.status !== 201 || !body.id) throw new Error(`POST /v3/clusters ${name}: ${res.status} ${body.message}`)
    ids[names.indexOf(name)] = body.id
  })
  const want = new Set(ids)
  for (let i = 0; i < 480; i++) {
    const crts = (await base.kube.list<ClusterRegistrationToken>(mgmt('ClusterRegistrationToken'))).items
    const tokens = new Map(crts.filter((c) => want.has(c.metadata.namespace!) && c.status?.token).map((c) => [c.metadata.namespace!, c.status!.token!]))
    if (tokens.size >= ids.length) return ids.map((id) => ({ id, token: tokens.get(id)! }))
    if (i % 20 === 0) log(`registration tokens: ${tokens.size}/${ids.length}`)
    await sleep(250)
  }
  throw new Error(`the runner did not issue registration tokens for all ${ids.length} clusters within 120 s`)
}

export async function soakStack(name: string, opts: { agents: number; log: (s: string) => void; simLogger?: Logger }): Promise<SoakStack> {
  const { log } = opts
  const cleanup: (() => Promise<unknown>)[] = []
  const dispose = async () => {
    for (const c of cleanup) await c().catch(() => {})
  }
  try {
    log('starting the management cluster, the edge, the runner, the downstream cluster and toxiproxy')
    const [base, down, toxi] = await Promise.all([
      scaleStack(name, { runner: true, log, bindings: { DROVER_METRICS_TOKEN: METRICS_TOKEN } }),
      devCluster(`${name}-down`),
      ToxiproxyServer.start(),
    ])
    cleanup.unshift(async () => base[Symbol.asyncDispose](), async () => down[Symbol.asyncDispose](), async () => toxi[Symbol.asyncDispose]())
    const admin = await ensureBootstrapAdmin(base.kube, {})
    const grant = await down.kubectl(['create', 'clusterrolebinding', 'soak-admin', '--clusterrole=cluster-admin', `--user=${admin.userId}`])
    if (grant.code !== 0) throw new Error(grant.stderr)
    const made = await down.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1'])
    if (made.code !== 0) throw new Error(made.stderr)

    log(`creating ${opts.agents} Clusters through /v3`)
    const names = Array.from({ length: opts.agents }, (_, i) => (i === 0 ? 'soak-real' : `soak-sim-${String(i).padStart(3, '0')}`))
    const clusters = await createClusters(base, names, log)
    const edgePort = base.edge.url.port
    const proxies: ToxiProxy[] = []
    for (const c of clusters) proxies.push(await toxi.proxy(c.id, `127.0.0.1:${edgePort}`))

    // The edge's certificate names 127.0.0.1, whatever the port: agents dial their proxy as the edge.
    const [real, ...simulated] = clusters
    const metricsPort = await freePort()
    const viaProxy = (p: ToxiProxy) => ({ url: new URL(`https://${p.listen}`), caFile: base.edge.caFile }) as TestEdge
    const realAgent = startAgent(viaProxy(proxies[0]!), `${real!.id}:${real!.token}`, down.kubeconfigPath, ['--metrics-addr', `127.0.0.1:${metricsPort}`])
    cleanup.unshift(() => realAgent.kill('SIGTERM'))
    const connects = () => realAgent.output().match(/connected to the edge/g)?.length ?? 0
    const disconnects = () => realAgent.output().match(/disconnected from the edge/g)?.length ?? 0
    const links: Link[] = [{ cluster: real!.id, proxy: proxies[0]!, real: true, connected: () => connects() > disconnects() }]
    // One simulator per link, each with its own proxy for a server.
    const sims: AgentSim[] = []
    cleanup.unshift(async () => Promise.all(sims.map((s) => s.stop())))
    await forEachLimited(simulated.map((c, i) => [c, proxies[i + 1]!] as const), 16, async ([c, p]) => {
      const sim = new AgentSim({ server: `https://${p.listen}`, caPem: base.edge.caPem, ...(opts.simLogger ? { logger: opts.simLogger } : {}) })
      sims.push(sim)
      await sim.add([c], { timeoutMs: 120_000 })
      links.push({ cluster: c.id, proxy: p, real: false, connected: () => sim.isConnected(c.id) })
    })

    const dir = mkdtempSync(join(tmpdir(), 'drover-soak-'))
    const kubeconfig = await edgeKubeconfig(dir, base.edge, real!.id, base.adminToken)
    const edgeT = edgeTransports({ url: base.edge.url.origin, token: base.adminToken, ca: base.edge.caPem })
    const directT = kubeConfigTransport(down.kubeConfig)
    cleanup.unshift(async () => edgeT.close(), async () => directT.close())

    log('waiting for the pod, and for every cluster to answer through the edge')
    const ready = await down.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=120s'])
    if (ready.code !== 0) throw new Error(ready.stderr)
    const pod = (await down.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
    let missing = links.map((l) => l.cluster)
    for (let i = 0; i < 120 && missing.length > 0; i++) {
      const still: string[] = []
      await forEachLimited(missing, 16, async (id) => {
        const res = await base.get(`/k8s/clusters/${id}/version`)
        if (res.status !== 200) still.push(id)
      })
      missing = still
      if (missing.length) {
        if (i % 10 === 0) log(`${links.length - missing.length}/${links.length} clusters answer through the edge`)
        await sleep(1_000)
      }
    }
    if (missing.length) throw new Error(`clusters not answering through the edge after 120 s: ${missing.slice(0, 5).join(', ')}; real agent output:\n${realAgent.output().slice(-2000)}`)

    return {
      base,
      down,
      toxi,
      links: [links[0]!, ...links.slice(1).sort((a, b) => a.cluster.localeCompare(b.cluster))],
      realCluster: real!.id,
      realAgent,
      agentMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      metricsToken: METRICS_TOKEN,
      pod,
      kubeconfig,
      viaEdge: edgeT.cluster(real!.id),
      direct: directT,
      cluster: (id) => edgeT.cluster(id),
      [Symbol.asyncDispose]: dispose,
    }
  } catch (e) {
    await dispose()
    throw e
  }
}
