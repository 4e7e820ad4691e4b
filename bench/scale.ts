/**
 * `npm run bench:scale` (issue 16): the edge with many clusters, on loopback, printing each figure next to
 * its goal (DESIGN.md P6–P8, M26). The agents are simulated (test/support/agent-sim.ts: a scale-only
 * stand-in running the agent's own Connector and tunnel session per cluster, with canned apiserver
 * answers); M26's traffic goes to the real `local` agent and its real dev cluster.
 *
 *   P6   N clusters connected to one local edge (`--clusters N`, default 10,000): registration, connect rate,
 *        every cluster answering /k8s/clusters/<id>/version, workerd's RSS and CPU at rest.
 *   P7   the edge restarted under `--restart-agents` (default 1,000) connected agents: time until all answer
 *        again, client errors meanwhile by kind, and what /v3/connect answered a reconnecting agent.
 *   M26  an edge "deploy" (stopped and started with a changed binding) under steady GETs to `local`:
 *        requests failed by kind and the time to recovery.
 *   P8   `--create` (default 1,000) Clusters created at once through /v3 with the real runner: tokens and
 *        manifests ready, then (simulated agents connected) all Active.
 *
 * `--only P6,P7,M26,P8` picks phases. Loops are bounded in count and time; progress goes to stderr.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Writable } from 'node:stream'
import pino from 'pino'
import { forEachLimited } from '../controller-runner/reconcilers/limit.ts'
import type { ClusterRegistrationToken } from '../protocol/crds/index.ts'
import { mgmt } from '../protocol/kube/index.ts'
import { AgentSim, type SimCluster } from '../test/support/agent-sim.ts'
import { scaleStack, type ScaleStack } from '../test/support/scale-stack.ts'
import { registerSimClusters, simClusterIds } from '../test/support/sim-registration.ts'
import { commandLine, cpuMicros, descendants, rssMiB } from './proc-cpu.ts'
import { probeConnect, type ConnectProbe } from './scale-probe.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const { values: args } = parseArgs({
  options: {
    clusters: { type: 'string', default: '10000' },
    'restart-agents': { type: 'string', default: '1000' },
    create: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'P6,P7,M26,P8' },
    // Idle tunnel objects hibernate and are evicted once their last request's timers are done (≤ 30 s).
    rest: { type: 'string', default: '45' },
  },
})
const P6_N = Number(args.clusters)
const P7_N = Number(args['restart-agents'])
const P8_N = Number(args.create)
const ONLY = new Set(args.only.split(',').map((s) => s.trim().toUpperCase()))
const SWEEP_CONCURRENCY = 64
const t0 = performance.now()
const log = (s: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`)
const out = (s: string) => process.stdout.write(`${s}\n`)
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const mib = (x: number) => `${x.toFixed(0)} MiB`

const workerdPids = () => descendants(process.pid).filter((p) => commandLine(p).includes('workerd'))
const edgeRss = () => workerdPids().reduce((s, p) => s + rssMiB(p), 0)
const edgeCpu = () => workerdPids().reduce((s, p) => s + cpuMicros(p), 0)
/** Open file descriptors of workerd, and its limit: each tunnel object holds its SQLite files open. */
function edgeFds(): string {
  const pid = workerdPids()[0]
  if (!pid) return 'no workerd'
  const limit = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]
  return `${readdirSync(`/proc/${pid}/fd`).length} open files (limit ${limit})`
}

/** The simulated agents' log lines counted by message (and HTTP status): what they saw of the edge. */
function countingLogger(): { logger: pino.Logger; counts: Map<string, number>; reset: () => void } {
  const counts = new Map<string, number>()
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue
        const m = JSON.parse(line) as { msg?: string; status?: number; err?: string }
        const key = `${m.msg}${m.status ? ` (${m.status})` : ''}${m.err && !m.status ? ` (${m.err.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'edge')})` : ''}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      cb()
    },
  })
  return { logger: pino({ level: 'info' }, sink), counts, reset: () => counts.clear() }
}

/** GETs `/k8s/clusters/<id>/version` for each id; the ids that did not answer as themselves. */
async function sweep(stack: ScaleStack, ids: string[], onProgress?: (done: number) => void): Promise<string[]> {
  const failed: string[] = []
  let done = 0
  await forEachLimited(ids, SWEEP_CONCURRENCY, async (id) => {
    const res = await stack.get(`/k8s/clusters/${id}/version`)
    if (res.status !== 200 || !res.text.includes(`"simulatedCluster":"${id}"`)) failed.push(id)
    if (++done % 1000 === 0) onProgress?.(done)
  })
  return failed
}

/** Client requests during a restart, classified by when they started and how they ended. */
interface Traffic {
  stop(): Promise<void>
  results: { start: number; end: number; ok: boolean; status: number }[]
}

/** Steady GETs: `perSecond` started every second whatever the previous ones did (open loop), each ≤ 10 s. */
function steadyTraffic(stack: ScaleStack, paths: () => string, perSecond: number): Traffic {
  const results: Traffic['results'] = []
  const inflight = new Set<Promise<void>>()
  let running = true
  const loop = (async () => {
    while (running) {
      const start = performance.now()
      const p = (async () => {
        const res = await stack.get(paths(), AbortSignal.timeout(10_000))
        results.push({ start, end: performance.now(), ok: res.status === 200, status: res.status })
      })()
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
      await sleep(1000 / perSecond)
    }
  })()
  return {
    results,
    async stop() {
      running = false
      await loop
      await Promise.all(inflight)
    },
  }
}

/** Failed requests split by when they started: before the stop (in flight), while no edge listened, after it was back. */
function classify(t: Traffic, stoppedAt: number, upAt: number): { total: number; failed: number; inflight: number; down: number; after: Map<number, number>; gapMs: number; firstOkAfterUpMs: number } {
  const failed = t.results.filter((r) => !r.ok)
  const after = new Map<number, number>()
  for (const r of failed.filter((r) => r.start >= upAt)) after.set(r.status, (after.get(r.status) ?? 0) + 1)
  const lastOkBefore = Math.max(...t.results.filter((r) => r.ok && r.end <= stoppedAt + 1).map((r) => r.end), stoppedAt)
  const firstOkAfter = Math.min(...t.results.filter((r) => r.ok && r.start >= stoppedAt).map((r) => r.end))
  return {
    total: t.results.length,
    failed: failed.length,
    inflight: failed.filter((r) => r.start < stoppedAt).length,
    down: failed.filter((r) => r.start >= stoppedAt && r.start < upAt).length,
    after,
    gapMs: firstOkAfter - lastOkBefore,
    firstOkAfterUpMs: firstOkAfter - upAt,
  }
}

const statusList = (m: Map<number, number>) => ([...m].map(([s, n]) => `${n}×${s || 'no answer'}`).join(', ') || 'none')

async function p6(stack: ScaleStack, clusters: SimCluster[], sim: AgentSim): Promise<void> {
  log(`P6: connecting ${clusters.length} simulated agents (200 dials in flight at most)`)
  const rssBefore = edgeRss()
  const started = performance.now()
  await sim.add(clusters, { concurrency: 200, timeoutMs: 900_000, onProgress: (n) => log(`P6: ${n}/${clusters.length} connected, edge RSS ${mib(edgeRss())}, ${edgeFds()}`) })
  const connectMs = performance.now() - started
  out(`P6 connect: ${clusters.length} agents in ${secs(connectMs)} = ${(clusters.length / (connectMs / 1000)).toFixed(0)} connects/s (each: TLS, upgrade, registration Secret checked through local's tunnel)`)
  log('P6: every cluster asked for /version through the edge')
  const sweepStart = performance.now()
  const failed = await sweep(stack, clusters.map((c) => c.id), (n) => log(`P6: ${n}/${clusters.length} asked`))
  const sweepMs = performance.now() - sweepStart
  out(`P6 reachable: ${clusters.length - failed.length}/${clusters.length} answered /k8s/clusters/<id>/version (goal: all) in ${secs(sweepMs)}, ${(clusters.length / (sweepMs / 1000)).toFixed(0)} req/s at ${SWEEP_CONCURRENCY} in flight${failed.length ? `; first failures: ${failed.slice(0, 5).join(', ')}` : ''}`)
  const restS = Number(args.rest)
  for (let waited = 0; waited < restS; waited += 15) {
    log(`P6: letting the edge come to rest (${waited}/${restS} s): RSS ${mib(edgeRss())}, ${edgeFds()}`)
    await sleep(Math.min(15, restS - waited) * 1000)
  }
  log('P6: measuring at rest for 20 s')
  const cpu0 = edgeCpu()
  const w0 = performance.now()
  await sleep(20_000)
  const cores = (edgeCpu() - cpu0) / ((performance.now() - w0) * 1000)
  const rss = edgeRss()
  out(`P6 edge at rest with ${sim.connectedCount()} agents: RSS ${mib(rss)} (goal ≤ 2048 MiB; ${mib(rssBefore)} with none) = ${(((rss - rssBefore) * 1024) / clusters.length).toFixed(1)} KiB per agent; CPU ${(cores * 100).toFixed(1)} % of a core (status watchdog alarms and agent keepalives); ${edgeFds()}`)
  out(`P6 simulator process (bench + ${sim.size} agents): RSS ${mib(process.memoryUsage().rss / 2 ** 20)}`)
}

async function p7(stack: ScaleStack, clusters: SimCluster[], probeCluster: SimCluster): Promise<void> {
  const counting = countingLogger()
  await using sim = new AgentSim({ server: stack.edge.url.origin, caPem: stack.edge.caPem, logger: counting.logger })
  log(`P7: connecting ${clusters.length} simulated agents`)
  await sim.add(clusters, { concurrency: 200, timeoutMs: 300_000 })
  const ids = clusters.map((c) => c.id)
  const before = await sweep(stack, ids)
  if (before.length) throw new Error(`P7: ${before.length} clusters do not answer before the restart`)
  counting.reset()
  const traffic = steadyTraffic(stack, () => `/k8s/clusters/${ids[Math.floor(Math.random() * ids.length)]}/version`, 20)
  await sleep(3_000)
  log('P7: stopping the edge')
  const stoppedAt = performance.now()
  await stack.stopEdge()
  await sleep(1_000)
  await stack.startEdge()
  const upAt = performance.now()
  log(`P7: edge back after ${secs(upAt - stoppedAt)}; probing /v3/connect and waiting for all to answer`)
  const probe: ConnectProbe = probeConnect(stack.edge, `${probeCluster.id}:${probeCluster.token}`, 250)
  let missing = ids
  let allBackMs = NaN
  const deadline = upAt + 180_000
  while (performance.now() < deadline) {
    missing = await sweep(stack, missing)
    if (missing.length === 0) {
      allBackMs = performance.now() - upAt
      break
    }
    log(`P7: ${ids.length - missing.length}/${ids.length} answer, ${sim.connectedCount()} sessions`)
    await sleep(1_000)
  }
  await sleep(2_000)
  const probes = await probe.stop()
  await traffic.stop()
  const c = classify(traffic, stoppedAt, upAt)
  out(`P7 all ${ids.length} back and serving: ${Number.isNaN(allBackMs) ? `NOT within 180 s (${missing.length} missing)` : `${secs(allBackMs)} after the edge was up`} (goal ≤ 30 s); edge down ${secs(upAt - stoppedAt)} (local stop + start)`)
  out(`P7 client GETs during it (20/s to random clusters): ${c.total}, failed ${c.failed}: in flight at the stop ${c.inflight}, sent while no edge listened ${c.down}, sent after the edge was up ${[...c.after.values()].reduce((a, b) => a + b, 0)} (${statusList(c.after)})`)
  out(`P7 /v3/connect under the storm (a probe upgrade every 250 ms with a valid registration token): ${statusList(probes.statuses)}; Retry-After on ${probes.retryAfter} of them; first 101 ${secs(probes.first101Ms)} after the edge was up`)
  out(`P7 what the agents saw: ${[...counting.counts].map(([k, n]) => `${n}× ${k}`).join('; ')}`)
}

async function m26(stack: ScaleStack): Promise<void> {
  log('M26: steady GETs to the real local agent; deploying a new edge version under them')
  const traffic = steadyTraffic(stack, () => '/k8s/clusters/local/api/v1/namespaces/default', 20)
  await sleep(5_000)
  const stoppedAt = performance.now()
  await stack.stopEdge()
  await stack.startEdge({ DROVER_BENCH_DEPLOY: `v${Date.now()}` })
  const upAt = performance.now()
  await sleep(15_000)
  await traffic.stop()
  const c = classify(traffic, stoppedAt, upAt)
  out(`M26 deploy under 20 GET/s to local: ${c.total} requests, failed ${c.failed}: in flight ${c.inflight}, sent while the edge was down (${secs(upAt - stoppedAt)}, a local-only gap: Workers deploy without one) ${c.down}, sent after it was up ${[...c.after.values()].reduce((a, b) => a + b, 0)} (${statusList(c.after)})`)
  out(`M26 recovery: last success before → first after ${secs(c.gapMs)}; ${secs(c.firstOkAfterUpMs)} after the new version listened (goal ≤ 5 s, nothing beyond in-flight)`)
}

async function p8(): Promise<void> {
  log(`P8: a stack with the runner; creating ${P8_N} Clusters through /v3`)
  await using stack = await scaleStack('bench-scale-p8', { runner: true, log })
  const names = simClusterIds('p8', P8_N)
  const started = performance.now()
  const ids: string[] = []
  await forEachLimited(names, 32, async (name) => {
    const res = await stack.edge.fetch('/v3/clusters', { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'cluster', name }) })
    const body = (await res.json()) as { id?: string; message?: string }
    if (res.status !== 201 || !body.id) throw new Error(`POST /v3/clusters ${name}: ${res.status} ${body.message}`)
    ids.push(body.id)
  })
  const createdMs = performance.now() - started
  log(`P8: ${P8_N} created in ${secs(createdMs)}; waiting for tokens and manifests`)
  const want = new Set(ids)
  let tokens: SimCluster[] = []
  for (let i = 0; i < 1200; i++) {
    const crts = (await stack.kube.list<ClusterRegistrationToken>(mgmt('ClusterRegistrationToken'))).items
    tokens = crts.filter((c) => want.has(c.metadata.namespace!) && c.status?.manifestUrl && c.status.token).map((c) => ({ id: c.metadata.namespace!, token: c.status!.token! }))
    if (tokens.length >= P8_N) break
    if (i % 8 === 0) log(`P8: ${tokens.length}/${P8_N} ready`)
    await sleep(250)
  }
  const readyMs = performance.now() - started
  out(`P8 ${P8_N} Clusters created at once through /v3 (${secs(createdMs)} for the POSTs) → ${tokens.length} with registration token and manifest URL in ${secs(readyMs)} (goal ≤ 20 s)`)
  await using sim = new AgentSim({ server: stack.edge.url.origin, caPem: stack.edge.caPem })
  const simStart = performance.now()
  await sim.add(tokens, { concurrency: 200, timeoutMs: 300_000 })
  let active = 0
  for (let i = 0; i < 300; i++) {
    const res = await stack.get('/v3/clusters')
    const data = res.status === 200 ? (JSON.parse(res.text) as { data: { id: string; state: string }[] }).data : []
    active = data.filter((c) => want.has(c.id) && c.state === 'active').length
    if (active >= P8_N) break
    if (i % 4 === 0) log(`P8: ${active}/${P8_N} Active`)
    await sleep(1_000)
  }
  out(`P8 all Active with simulated agents: ${active}/${P8_N} after ${secs(performance.now() - started)} from the first POST (${secs(performance.now() - simStart)} after the agents started)`)
}

async function main(): Promise<void> {
  out(`bench:scale — P6 ${P6_N} clusters, P7 ${P7_N} agents, P8 ${P8_N} Clusters; phases ${[...ONLY].join(',')}`)
  if (ONLY.has('P6') || ONLY.has('P7') || ONLY.has('M26')) {
    log('starting a lite management cluster, the edge and the local agent')
    await using stack = await scaleStack('bench-scale', { log })
    const n = Math.max(ONLY.has('P6') ? P6_N : 0, ONLY.has('P7') ? P7_N + 1 : 0)
    if (n > 0) {
      log(`registering ${n} clusters in the management cluster (namespace, registration Secret, Cluster)`)
      const regStart = performance.now()
      const clusters = await registerSimClusters(stack.kube, simClusterIds('c-sim', n), { clusters: true, concurrency: 32, onProgress: (d) => log(`registered ${d}/${n}`) })
      out(`registration: ${n} clusters written straight to the management apiserver in ${secs(performance.now() - regStart)}`)
      if (ONLY.has('P6')) {
        await using sim = new AgentSim({ server: stack.edge.url.origin, caPem: stack.edge.caPem })
        await p6(stack, clusters.slice(0, P6_N), sim)
        log('P6: stopping the simulated agents')
        await sim.stop()
        await sleep(10_000)
      }
      if (ONLY.has('P7')) await p7(stack, clusters.slice(0, P7_N), clusters[P7_N]!)
    }
    if (ONLY.has('M26')) await m26(stack)
  }
  if (ONLY.has('P8')) await p8()
  log('done')
}

await main()
