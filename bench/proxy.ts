/**
 * `npm run bench:proxy`: P1–P5 of DESIGN.md, each printed next to direct access measured in the same run.
 * Starts a lite dev cluster, the edge in workerd and one `drover agent` process, all on loopback.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { ensurePrograms } from '../infra/build/programs.ts'
import { devCluster } from '../test/support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, startAgent, startEdge, waitConnected } from '../test/support/proxy-fixture.ts'
import { until } from '../test/support/streams.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const TOKEN = 'token-bench:secret'

interface Target {
  name: string
  get(path: string): Promise<{ status: number; bytes: number; body?: string }>
  stream(path: string, onChunk: (s: string) => void): () => void
}

function target(name: string, base: string, options: RequestOptions): Target {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 128, ca: options.ca, cert: options.cert, key: options.key })
  const open = (path: string, onRes: (res: IncomingMessage) => void) => {
    const r = httpsRequest(`${base}${path}`, { ...options, agent }, onRes)
    r.on('error', () => {})
    r.end()
    return r
  }
  return {
    name,
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
  return done / seconds
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}
function descendants(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    return kids.flatMap((k) => [k, ...descendants(k)])
  } catch {
    return []
  }
}

async function main() {
  log('starting a dev cluster, the edge (workerd) and an agent…')
  await using cluster = await devCluster('bench', { mode: 'lite' })
  await grantClusterAdmin(cluster, 'ops')
  await using edge = await startEdge([{ token: TOKEN, identity: { user: 'bench', groups: ['ops'], extra: {} }, clusters: '*' }], { 'agent-bench': 'c-bench' })
  // The agent as the image runs it (the esbuild bundle); DROVER_BENCH_PROGRAM=source runs it through tsx.
  const program = process.env.DROVER_BENCH_PROGRAM === 'source' ? 'source' : 'bundle'
  if (program === 'bundle') await ensurePrograms({ log: (l) => log(`[programs] ${l}`) })
  log(`agent program: ${program}`)
  await using agent = startAgent(edge, 'agent-bench', cluster.kubeconfigPath, [], program)
  const kc = await edgeKubeconfig(mkdtempSync(join(tmpdir(), 'drover-bench-kc-')), edge, 'c-bench', TOKEN)
  await waitConnected(kc)

  const kube = new KubeConfig()
  kube.loadFromFile(cluster.kubeconfigPath)
  const tls: RequestOptions = {}
  await kube.applyToHTTPSOptions(tls)
  const direct = target('direct', cluster.server, tls)
  const proxied = target('edge', `${edge.url.origin}/k8s/clusters/c-bench`, { ca: edge.caPem, headers: { authorization: `Bearer ${TOKEN}` } })
  const workerd = descendants(process.pid).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd'))
  const agentPid = agent.child.pid!

  // Warm both paths (TLS sessions, JIT) before measuring.
  await latency(direct, 200)
  await latency(proxied, 200)

  const n = 2000
  const d = await latency(direct, n)
  const p = await latency(proxied, n)
  console.log(
    `P1 small GET latency (n=${n}): direct p50 ${ms(pct(d, 50))} p99 ${ms(pct(d, 99))}; edge p50 ${ms(pct(p, 50))} p99 ${ms(pct(p, 99))}; ` +
      `added p50 ${ms(pct(p, 50) - pct(d, 50))} p99 ${ms(pct(p, 99) - pct(d, 99))} (target ≤ 0.5 / ≤ 2 ms)`,
  )

  const cpu0 = cpuSeconds(agentPid)
  const dT = await throughput(direct, 64, 5)
  const pT = await throughput(proxied, 64, 5)
  const agentCpu = cpuSeconds(agentPid) - cpu0
  console.log(`P2 64 concurrent clients: direct ${dT.toFixed(0)} req/s, edge ${pT.toFixed(0)} req/s, ratio ${(pT / dT).toFixed(2)} (target ≥ 0.6)`)
  console.log(
    `P5 agent CPU: ${((agentCpu / (pT * 5)) * 1000).toFixed(3)} core per 1,000 req/s ` +
      `(${agentCpu.toFixed(2)} CPU-s for ${(pT * 5).toFixed(0)} proxied requests; target ≤ 0.3)`,
  )

  if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
    throw new Error(`the agent exited during the load (${agent.child.exitCode ?? agent.child.signalCode}): ${agent.output().slice(-3000)}`)
  }
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
  const timeList = async (t: Target) => {
    const start = performance.now()
    const r = await t.get(listPath)
    if (r.status !== 200) throw new Error(`${t.name}: LIST answered ${r.status} ${r.body ?? ''}`)
    return { mib: r.bytes / 1048576, s: (performance.now() - start) / 1000 }
  }
  await timeList(direct)
  const baseEdge = workerd.reduce((s, pid) => s + rssMiB(pid), 0)
  const baseAgent = rssMiB(agentPid)
  const dl = await timeList(direct)
  const pl = await timeList(proxied)
  clearInterval(sampler)
  console.log(
    `P3 ${pl.mib.toFixed(1)} MiB LIST: direct ${(dl.mib / dl.s).toFixed(0)} MiB/s, edge ${(pl.mib / pl.s).toFixed(0)} MiB/s, ratio ${(dl.s / pl.s).toFixed(2)} ` +
      `(target ≥ 0.8); peak RSS edge ${peakEdge.toFixed(0)} MiB (+${(peakEdge - baseEdge).toFixed(0)}), agent ${peakAgent.toFixed(0)} MiB (+${(peakAgent - baseAgent).toFixed(0)})`,
  )

  // P4: both watchers see the same events; the added latency is edge arrival minus direct arrival.
  const seen = { direct: new Map<string, number>(), edge: new Map<string, number>() }
  const watchPath = '/api/v1/namespaces/default/configmaps?watch=1'
  const stopD = direct.stream(watchPath, (s) => record(seen.direct, s))
  const stopP = proxied.stream(watchPath, (s) => record(seen.edge, s))
  // Both watches are established once both have seen a first event.
  await createConfigMap(cluster.kubectl, 'watch-sentinel')
  await until(() => seen.direct.has('watch-sentinel') && seen.edge.has('watch-sentinel'))
  for (let i = 0; i < 200; i++) {
    await createConfigMap(cluster.kubectl, `watch-${i}`)
  }
  // Events arrive in order: the last one seen by both means all were.
  await until(() => seen.direct.has('watch-199') && seen.edge.has('watch-199'))
  stopD()
  stopP()
  const added: number[] = []
  for (const [name, t] of seen.edge) {
    const td = seen.direct.get(name)
    if (/^watch-\d+$/.test(name) && td !== undefined) added.push(t - td)
  }
  console.log(`P4 watch event delivery (n=${added.length}): added p50 ${ms(pct(added, 50))} p99 ${ms(pct(added, 99))} vs direct watcher (target p99 ≤ 2 ms)`)
}

function record(map: Map<string, number>, chunk: string) {
  const now = performance.now()
  for (const m of chunk.matchAll(/"name":"(watch-(?:\d+|sentinel))"/g)) if (!map.has(m[1]!)) map.set(m[1]!, now)
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
