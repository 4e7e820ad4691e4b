/**
 * `npm run bench:proxy`: P1–P5 of DESIGN.md, each printed next to direct access measured in the same run.
 * Starts a lite dev cluster, the edge in workerd and one `drover agent` process, all on loopback.
 */
import { mkdtempSync } from 'node:fs'
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { ensurePrograms } from '../infra/build/programs.ts'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { devCluster } from '../test/support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, startAgent, startEdge, waitConnected } from '../test/support/proxy-fixture.ts'
import { until } from '../test/support/streams.ts'
import { commandLine, cpuPerRequest, descendants, type Hop, idleRates, type IoCounters, rssMiB } from './proc-cpu.ts'
import { recordPerf } from './edge-perf.ts'
import { printEdgeProfile, profileEdge } from './edge-profile.ts'
import { buildRemoteDialer, type RemoteDialer, startRemoteDialer } from './remotedialer.ts'

/**
 * DROVER_BENCH_ONLY=P3,P4 runs just those phases (P1 includes P2 and P5). `profile` is the edge's JS profile;
 * only with it does workerd run with its inspector open (measured: within run-to-run noise, a few % of edge CPU).
 * `perf` samples workerd natively with Linux perf under P2's load. The edge runs without the web UI's static
 * assets: Miniflare puts its assets router worker in front of the edge's on every request (measured: about
 * 180 µs of edge CPU per GET, P2), where Cloudflare routes assets outside the worker; DROVER_BENCH_ASSETS=1
 * keeps it, for comparison.
 */
const phases = new Set((process.env.DROVER_BENCH_ONLY ?? 'P1,profile,perf,P3,P4').split(',').map((p) => p.trim()))
process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const TOKEN = 'token-bench:secret'
/** Who proxied requests run as: drover's agent and the remotedialer server both impersonate this identity. */
const IDENTITY = { user: 'bench', groups: ['ops'] }

interface Target {
  name: string
  /** The hops (see proc-cpu.ts) this target's requests pass through, for its CPU-per-request line. */
  hops: string[]
  get(path: string): Promise<{ status: number; bytes: number; body?: string }>
  stream(path: string, onChunk: (s: string) => void): () => void
}

function target(name: string, hops: string[], base: string, options: RequestOptions): Target {
  const plain = base.startsWith('http:')
  const agent = plain
    ? new HttpAgent({ keepAlive: true, maxSockets: 128 })
    : new HttpsAgent({ keepAlive: true, maxSockets: 128, ca: options.ca, cert: options.cert, key: options.key })
  const open = (path: string, onRes: (res: IncomingMessage) => void) => {
    const r = (plain ? httpRequest : httpsRequest)(`${base}${path}`, { ...options, agent }, onRes)
    r.on('error', () => {})
    r.end()
    return r
  }
  return {
    name,
    hops,
    get: (path) =>
      new Promise((resolve, reject) => {
        const r = open(path, (res) => {
          let bytes = 0
          let body = ''
          res.on('data', (d: Buffer) => {
            bytes += d.length
            if (res.statusCode !== 200 && body.length < 2000) body += d.toString()
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, body }))
          res.on('error', reject)
        })
        r.on('error', reject)
      }),
    stream: (path, onChunk) => {
      const r = open(path, (res) => res.on('data', (d: Buffer) => onChunk(d.toString())))
      return () => r.destroy()
    },
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const ms = (n: number) => `${n.toFixed(2)} ms`

async function latency(t: Target, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const r = await t.get('/api/v1/namespaces/default')
    if (r.status !== 200) throw new Error(`${t.name}: status ${r.status}`)
    out.push(performance.now() - start)
  }
  return out
}

/** Resolves to the number of requests made. */
async function throughput(t: Target, clients: number, seconds: number): Promise<number> {
  let done = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const r = await t.get('/api/v1/namespaces/default')
        if (r.status !== 200) throw new Error(`${t.name}: status ${r.status}`)
        done++
      }
    }),
  )
  return done
}

async function main() {
  // Rancher's tunnel is built first so a missing Go or module is reported before the cluster starts.
  const rdBuild = await buildRemoteDialer(log)
  if ('skipped' in rdBuild) log(`remotedialer column skipped: ${rdBuild.skipped}`)
  log('starting a dev cluster, the edge (workerd) and an agent…')
  await using cluster = await devCluster('bench', { mode: 'lite' })
  await grantClusterAdmin(cluster, 'ops')
  const inspectorPort = await freePort()
  await using edge = await startEdge([{ token: TOKEN, identity: { ...IDENTITY, extra: {} }, clusters: '*' }], { 'agent-bench': 'c-bench' }, {}, { ...(phases.has('profile') ? { inspectorPort } : {}), directSocket: true, staticAssets: process.env.DROVER_BENCH_ASSETS === '1' })
  // The agent as the image runs it (the esbuild bundle); DROVER_BENCH_PROGRAM=source runs it through tsx.
  const program = process.env.DROVER_BENCH_PROGRAM === 'source' ? 'source' : 'bundle'
  if (program === 'bundle') await ensurePrograms({ log: (l) => log(`[programs] ${l}`) })
  log(`agent program: ${program}`)
  // DROVER_BENCH_AGENT_PROFILE=<dir>: the agent writes a V8 CPU profile there when it exits (--cpu-prof).
  const agentProfile = process.env.DROVER_BENCH_AGENT_PROFILE
  if (agentProfile) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${agentProfile}`
  const agentMetricsPort = await freePort()
  await using agent = startAgent(edge, 'agent-bench', cluster.kubeconfigPath, ['--metrics-addr', `127.0.0.1:${agentMetricsPort}`], program)
  if (agentProfile) delete process.env.NODE_OPTIONS
  const kc = await edgeKubeconfig(mkdtempSync(join(tmpdir(), 'drover-bench-kc-')), edge, 'c-bench', TOKEN)
  await waitConnected(kc)

  const kube = new KubeConfig()
  kube.loadFromFile(cluster.kubeconfigPath)
  const tls: RequestOptions = {}
  await kube.applyToHTTPSOptions(tls)
  await using rd = 'bin' in rdBuild ? await startRemoteDialer(rdBuild.bin, cluster.server, tls, IDENTITY) : undefined
  // `client` is this process (Node's https client): its CPU per GET to the apiserver directly is what a Node
  // program pays for the upstream half of the agent's work alone — a floor for the agent's figure.
  const direct = target('direct', ['client', 'apiserver', 'etcd'], cluster.server, tls)
  // Direct with the proxies' impersonation, for P1/P2 only: separates what impersonation costs the apiserver
  // from what the path itself asks of it.
  const impersonating = { 'impersonate-user': IDENTITY.user, 'impersonate-group': IDENTITY.groups }
  const directAs = target('direct-impersonating', ['apiserver', 'etcd'], cluster.server, { ...tls, headers: impersonating })
  const targets = [direct]
  if (rd) targets.push(target('remotedialer', ['rd-server', 'rd-client', 'apiserver', 'etcd'], rd.url, {}))
  const proxied = target('drover', ['edge', 'agent', 'apiserver', 'etcd'], `${edge.url.origin}/k8s/clusters/c-bench`, { ca: edge.caPem, headers: { authorization: `Bearer ${TOKEN}` } })
  targets.push(proxied)
  // The same edge on a plain-HTTP socket straight to the worker: no TLS (like the remotedialer server here)
  // and no Miniflare entry worker in front (production has none).
  const proxiedPlain = target('drover-plain', ['edge', 'agent', 'apiserver', 'etcd'], `${edge.directUrl!.origin}/k8s/clusters/c-bench`, { headers: { authorization: `Bearer ${TOKEN}` } })
  // Miniflare's own Node process is not in the path: workerd serves the edge's port itself.
  const workerd = descendants(process.pid).filter((p) => commandLine(p).includes('workerd'))
  const agentPid = agent.child.pid!
  const hops = processHops(cluster.record.components, workerd, agentPid, rd)

  const getTargets = [direct, directAs, ...targets.slice(1), proxiedPlain]
  // Warm every path (TLS sessions, JIT) before measuring.
  for (const t of getTargets) await latency(t, 200)
  // The per-GET CPU figures leave out what each process spends with no requests (leases, watch-cache ticks, pings).
  const idle = await idleRates(hops, 5000)
  console.log(`idle CPU, subtracted below (µs per s): ${[...idle].map(([h, us]) => `${h} ${us.toFixed(0)}`).join(', ')}`)

  if (phases.has('P1')) {
    const n = 2000
    const lat = new Map<string, number[]>()
    const cpu1 = new Map<string, Map<string, number>>()
    for (const t of getTargets) {
      const r = await cpuPerRequest(hops, async () => (lat.set(t.name, await latency(t, n)), n), idle)
      cpu1.set(t.name, r.perRequest)
    }
    const d = lat.get('direct')!
    console.log(`P1 small GET latency (n=${n}), goal added ≤ 0.3 / ≤ 0.6 ms: direct p50 ${ms(pct(d, 50))} p99 ${ms(pct(d, 99))}`)
    for (const t of getTargets.slice(1)) {
      const p = lat.get(t.name)!
      console.log(
        `  ${t.name}: p50 ${ms(pct(p, 50))} p99 ${ms(pct(p, 99))}; added p50 ${ms(pct(p, 50) - pct(d, 50))} p99 ${ms(pct(p, 99) - pct(d, 99))}`,
      )
    }
    printCpu('P1', getTargets, cpu1)

    const seconds = 5
    const rate = new Map<string, number>()
    const cpu2 = new Map<string, Map<string, number>>()
    const io2 = new Map<string, Map<string, IoCounters>>()
    const tunnel2 = new Map<string, Map<string, number>>()
    const asked2 = new Map<string, number>()
    for (const t of getTargets) {
      const before = t.hops.includes('agent') ? await tunnelCounters(agentMetricsPort) : undefined
      const askedBefore = await apiserverRequests(cluster.kubectl)
      const r = await cpuPerRequest(hops, () => throughput(t, 64, seconds), idle)
      // Less the one request of the scrape itself.
      asked2.set(t.name, ((await apiserverRequests(cluster.kubectl)) - askedBefore - 1) / r.requests)
      if (before) {
        const after = await tunnelCounters(agentMetricsPort)
        tunnel2.set(t.name, new Map([...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / r.requests])))
      }
      rate.set(t.name, r.requests / seconds)
      cpu2.set(t.name, r.perRequest)
      io2.set(t.name, r.ioPerRequest)
    }
    const dT = rate.get('direct')!
    console.log(
      `P2 64 concurrent clients (goal ratio ≥ 0.7): direct ${dT.toFixed(0)} req/s` +
        getTargets
          .slice(1)
          .map((t) => `; ${t.name} ${rate.get(t.name)!.toFixed(0)} req/s, ratio ${(rate.get(t.name)! / dT).toFixed(2)}`)
          .join(''),
    )
    printCpu('P2', getTargets, cpu2)
    printIo('P2', getTargets, io2)
    console.log(
      `P2 requests the apiserver served per GET (apiserver_request_total; background work included): ${getTargets.map((t) => `${t.name} ${asked2.get(t.name)!.toFixed(3)}`).join(', ')}`,
    )
    console.log('P2 tunnel per GET (the agent\'s counters; a BATCH message carries several frames):')
    for (const [name, per] of tunnel2) {
      const f = (k: string) => (per.get(k) ?? 0).toFixed(2)
      const b = (k: string) => (per.get(k) ?? 0).toFixed(0)
      console.log(
        `  ${name}: agent→edge ${f('messages sent')} messages, ${f('frames sent')} frames, ${b('bytes sent')} B; ` +
          `edge→agent ${f('messages received')} messages, ${f('frames received')} frames, ${b('bytes received')} B`,
      )
    }
    const agentUs = cpu2.get('drover')!.get('agent')!
    const pT = rate.get('drover')!
    console.log(
      `P5 agent CPU: ${(agentUs / 1000).toFixed(3)} core per 1,000 req/s ` +
        `(${((agentUs * pT * seconds) / 1e6).toFixed(2)} CPU-s for ${(pT * seconds).toFixed(0)} proxied requests; target ≤ 0.3)`,
    )

  }
  // Where the edge's own time goes, from V8 CPU profiles of workerd (separate passes: profiling slows it).
  if (phases.has('profile')) {
    const profiling = await profileEdge(inspectorPort, ['core:user:', 'core:entry'])
    await latency(proxied, 500)
    printEdgeProfile('P1', await profiling.stop(), (l) => console.log(l))
    const again = await profileEdge(inspectorPort, ['core:user:', 'core:entry'])
    await throughput(proxied, 64, 3)
    printEdgeProfile('P2', await again.stop(), (l) => console.log(l))
  }

  if (phases.has('perf')) {
    // Native and JavaScript together: where workerd's CPU goes under P2's load on the plain socket.
    const perf = recordPerf(workerd[0]!)
    await throughput(proxiedPlain, 64, 5)
    const r = await perf.stop()
    if ('skipped' in r) console.log(`P2 edge CPU by runtime part (perf): skipped, ${r.skipped}`)
    else console.log(`P2 edge CPU by runtime part (perf, drover-plain): ${r.shares.map(([c, pct]) => `${c} ${pct.toFixed(0)}%`).join('; ')}`)
  }

  if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
    throw new Error(`the agent exited during the load (${agent.child.exitCode ?? agent.child.signalCode}): ${agent.output().slice(-3000)}`)
  }
  if (phases.has('P3')) {
    log('creating ~50 MiB of ConfigMaps…')
    const value = 'z'.repeat(950 * 1024)
    for (let i = 0; i < 54; i++) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bulk-${i}`, namespace: 'default' }, data: { v: value } }
      const r = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(cm) })
      if (r.code !== 0) throw new Error(`creating ${cm.metadata.name}: ${r.stderr}`)
    }
    const listPath = '/api/v1/namespaces/default/configmaps'
    let peakEdge = 0
    let peakAgent = 0
    const sampler = setInterval(() => {
      peakEdge = Math.max(peakEdge, workerd.reduce((s, pid) => s + rssMiB(pid), 0))
      peakAgent = Math.max(peakAgent, rssMiB(agentPid))
    }, 20)
    // What the agent's RSS growth is made of: V8 keeps dead ArrayBuffers (received chunks, encoded frames)
    // until its next GC, which off-heap growth only forces after tens of MiB. Off-heap bytes far above the
    // stream window that fall back at each GC are garbage waiting, not data held.
    const offHeap: number[] = []
    const agentMemory = setInterval(() => void agentOffHeapMiB(agentMetricsPort).then((m) => offHeap.push(m), () => {}), 50)
    const timeList = async (t: Target) => {
      const start = performance.now()
      const r = await t.get(listPath)
      if (r.status !== 200) throw new Error(`${t.name}: LIST answered ${r.status} ${r.body ?? ''}`)
      return { mib: r.bytes / 1048576, s: (performance.now() - start) / 1000 }
    }
    await timeList(direct)
    const baseEdge = workerd.reduce((s, pid) => s + rssMiB(pid), 0)
    const baseAgent = rssMiB(agentPid)
    const lists = new Map<string, { mib: number; s: number }>()
    const cpu3 = new Map<string, Map<string, number>>()
    const listTargets = [...targets, proxiedPlain]
    for (const t of listTargets) {
      // One LIST each: CPU is counted in clock ticks (10 ms), so these figures are ±10 ms.
      const r = await cpuPerRequest(hops, async () => (lists.set(t.name, await timeList(t)), 1), idle)
      cpu3.set(t.name, r.perRequest)
    }
    clearInterval(sampler)
    clearInterval(agentMemory)
    const dl = lists.get('direct')!
    console.log(
      `P3 ${dl.mib.toFixed(1)} MiB LIST (goal ratio ≥ 0.9): direct ${(dl.mib / dl.s).toFixed(0)} MiB/s` +
        listTargets
          .slice(1)
          .map((t) => {
            const l = lists.get(t.name)!
            return `; ${t.name} ${(l.mib / l.s).toFixed(0)} MiB/s, ratio ${(dl.s / l.s).toFixed(2)}`
          })
          .join('') +
        `; drover peak RSS edge ${peakEdge.toFixed(0)} MiB (+${(peakEdge - baseEdge).toFixed(0)}), agent ${peakAgent.toFixed(0)} MiB (+${(peakAgent - baseAgent).toFixed(0)})`,
    )
    const falls = offHeap.filter((m, i) => i > 0 && offHeap[i - 1]! - m > 8).length
    console.log(
      `P3 agent off-heap memory (nodejs_external_memory_bytes, every 50 ms over all LISTs): from ${offHeap[0]?.toFixed(0)} MiB, peak ${Math.max(...offHeap).toFixed(0)} MiB, ` +
        `${falls} falls of > 8 MiB between samples (GCs freeing dead buffers); the stream window is 4 MiB`,
    )
    console.log(`P3 CPU per LIST (ms): ${listTargets.map((t) => `${t.name}: ${t.hops.map((h) => `${h} ${(cpu3.get(t.name)!.get(h)! / 1000).toFixed(0)}`).join(', ')}`).join('; ')}`)

  }
  if (phases.has('P4')) {
    // P4: every watcher sees the same events; the added latency is a proxied arrival minus the direct arrival.
    // The plain-socket watcher gets a pass of its own: sharing the agent and the edge with the other drover
    // watcher would put two proxied copies of every event on the same two processes.
    for (const [pass, watchers] of [targets, [direct, proxiedPlain]].entries()) {
      const seen = new Map(watchers.map((t) => [t.name, new Map<string, number>()]))
      const watchPath = '/api/v1/namespaces/default/configmaps?watch=1'
      const stops = watchers.map((t) => t.stream(watchPath, (s) => record(seen.get(t.name)!, s)))
      // The watches are established once all have seen a first event.
      await createConfigMap(cluster.kubectl, `watch-sentinel-${pass}`)
      await until(() => [...seen.values()].every((m) => m.has(`watch-sentinel-${pass}`)))
      for (let i = 0; i < 200; i++) await createConfigMap(cluster.kubectl, `watch-${pass}-${i}`)
      // Events arrive in order: the last one seen by all means all were.
      await until(() => [...seen.values()].every((m) => m.has(`watch-${pass}-199`)))
      for (const stop of stops) stop()
      const seenDirect = seen.get('direct')!
      for (const t of watchers.slice(1)) {
        const added: number[] = []
        for (const [name, at] of seen.get(t.name)!) {
          const td = seenDirect.get(name)
          // This pass's events only: a new watch first lists what exists as ADDED events.
          if (name.startsWith(`watch-${pass}-`) && td !== undefined) added.push(at - td)
        }
        console.log(`P4 watch event delivery, ${t.name} (n=${added.length}): added p50 ${ms(pct(added, 50))} p99 ${ms(pct(added, 99))} vs direct watcher (goal ≤ 0.5 / 0.8 ms)`)
      }
    }
  }
}

/** Every request the apiserver has served so far, from its own metrics. */
async function apiserverRequests(kubectl: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>): Promise<number> {
  const r = await kubectl(['get', '--raw', '/metrics'])
  if (r.code !== 0) throw new Error(`reading the apiserver's metrics: ${r.stderr}`)
  let total = 0
  for (const m of r.stdout.matchAll(/^apiserver_request_total\{[^}]*\} (\S+)$/gm)) total += Number(m[1])
  return total
}

/** The agent's tunnel counters from its /metrics: "frames sent" and so on. */
async function tunnelCounters(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const out = new Map<string, number>()
  for (const m of text.matchAll(/^drover_agent_tunnel_(messages|frames|bytes)_total\{direction="(sent|received)"\} (\d+)$/gm)) {
    out.set(`${m[1]} ${m[2]}`, Number(m[3]))
  }
  return out
}

/** The agent's off-heap memory (ArrayBuffers included) in MiB, from its /metrics. */
async function agentOffHeapMiB(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = /^drover_agent_nodejs_external_memory_bytes (\S+)$/m.exec(text)
  if (!m) throw new Error('the agent reports no drover_agent_nodejs_external_memory_bytes')
  return Number(m[1]) / 1048576
}

/** Every process a request can pass through; hops of a target that is not running have no pids. */
function processHops(components: { name: string; pid: number }[], workerd: number[], agentPid: number, rd: RemoteDialer | undefined): Hop[] {
  const component = (name: string) => components.filter((c) => c.name === name).map((c) => c.pid)
  return [
    { name: 'client', pids: [process.pid] },
    { name: 'edge', pids: workerd },
    { name: 'agent', pids: [agentPid] },
    { name: 'rd-server', pids: rd ? [rd.server.pid!] : [] },
    { name: 'rd-client', pids: rd ? [rd.client.pid!] : [] },
    { name: 'apiserver', pids: component('kube-apiserver') },
    { name: 'etcd', pids: component('etcd') },
  ]
}

/**
 * The proxies' socket I/O per GET, both their sides (client and upstream) together: bytes and syscalls. The
 * edge is left out: /proc/<pid>/io counts read/write but not recvmsg/sendmsg, and workerd reads its sockets
 * with the latter (it shows 0 bytes read), so its figure would mislead.
 */
function printIo(phase: string, targets: Target[], io: Map<string, Map<string, IoCounters>>) {
  const proxyHops = new Set(['agent', 'rd-server', 'rd-client'])
  console.log(`${phase} I/O per GET (read/write bytes, read/write syscalls, from /proc/<pid>/io; both sides of each hop; not the edge):`)
  for (const t of targets) {
    const per = io.get(t.name)!
    const hops = t.hops.filter((h) => proxyHops.has(h))
    if (hops.length === 0) continue
    const line = hops.map((h) => {
      const c = per.get(h)!
      return `${h} ${c.rchar.toFixed(0)}/${c.wchar.toFixed(0)} B, ${c.syscr.toFixed(1)}/${c.syscw.toFixed(1)} calls`
    })
    console.log(`  ${t.name}: ${line.join('; ')}`)
  }
}

function printCpu(phase: string, targets: Target[], cpu: Map<string, Map<string, number>>) {
  console.log(`${phase} CPU per GET (µs, /proc utime+stime over the phase less idle; goal: edge ≤ 300 as Rancher's server, agent ≤ 130 as its agent):`)
  for (const t of targets) {
    const per = cpu.get(t.name)!
    console.log(`  ${t.name}: ${t.hops.map((h) => `${h} ${per.get(h)!.toFixed(0)}`).join(', ')}`)
  }
  const direct = cpu.get('direct')!.get('apiserver')!
  const ratios = targets.slice(1).map((t) => `${t.name} ${(cpu.get(t.name)!.get('apiserver')! / direct).toFixed(2)}×`)
  console.log(`  apiserver CPU per proxied GET vs per direct GET: ${ratios.join(', ')}`)
}

function record(map: Map<string, number>, chunk: string) {
  const now = performance.now()
  for (const m of chunk.matchAll(/"name":"(watch-(?:\d+-\d+|sentinel-\d+))"/g)) if (!map.has(m[1]!)) map.set(m[1]!, now)
}

async function createConfigMap(kubectl: (a: string[]) => Promise<{ code: number; stderr: string }>, name: string) {
  const r = await kubectl(['create', 'configmap', name, '-n', 'default'])
  if (r.code !== 0) throw new Error(`creating ${name}: ${r.stderr}`)
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  },
)
