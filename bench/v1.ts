/**
 * `npm run bench:v1` (P10): `/v1` lists and subscribe events answered by the per-cluster list index, next to
 * the apiserver's own LIST of the same objects in the same run. A lite dev cluster gets 5,000 and then
 * 50,000 pods (`DROVER_BENCH_V1_SIZES=5000` for a quick run) spread over 50 namespaces and 20 node names;
 * drover serves it through the local edge and a real agent. For each size it prints: the direct LIST,
 * the time until the index answers, the first page of 100 sorted by name, a filtered page, a summary by
 * state, the index's bytes per object (its SQLite file), and a subscribe event's delivery after the
 * apiserver's own watch saw it. Loopback only; every loop is bounded in count.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { Agent as UndiciAgent, request } from 'undici'
import WebSocket from 'ws'
import { stringify } from 'yaml'
import { ensurePrograms } from '../infra/build/programs.ts'
import { downstreamRbac } from '../infra/management/rbac.ts'
import { devCluster, type DevCluster } from '../test/support/dev-cluster.ts'
import { grantClusterAdmin, startAgent, startEdge, waitConnected, edgeKubeconfig } from '../test/support/proxy-fixture.ts'

const SIZES = (process.env.DROVER_BENCH_V1_SIZES ?? '5000,50000').split(',').map(Number)
const NAMESPACES = 50
const NODES = 20
const PAGE_RUNS = 60
const EVENTS = 60
const TOKEN = 'token-v1bench:secret'
const IDENTITY = { user: 'v1bench', groups: ['ops'], extra: {} }
const CLUSTER = 'c-v1bench'
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN
const ms = (x: number) => `${x.toFixed(1)} ms`

function pod(i: number) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${String(i).padStart(6, '0')}`, namespace: `ns-${i % NAMESPACES}`, labels: { app: `app-${i % 20}`, tier: i % 3 ? 'web' : 'db' } },
    spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'main', image: `registry.example/app-${i % 20}:1.${i % 7}` }] },
  }
}

/** The apiserver directly, as the cluster admin: for seeding and for the baseline. */
function direct(cluster: DevCluster, tls: RequestOptions) {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 32, ca: tls.ca, cert: tls.cert, key: tls.key })
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = httpsRequest(`${cluster.server}${path}`, { ...tls, agent, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
        res.on('error', reject)
      })
      r.on('error', reject)
      r.end(body ? JSON.stringify(body) : undefined)
    })
  /** A watch's ADDED objects by name, until the returned function stops it. */
  const watchAdded = (path: string, onAdded: (name: string) => void): (() => void) => {
    let buf = ''
    const r = httpsRequest(`${cluster.server}${path}`, { ...tls, agent: false }, (res) => {
      res.on('data', (d: Buffer) => {
        buf += d.toString()
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const e = JSON.parse(buf.slice(0, nl)) as { type: string; object?: { metadata?: { name?: string } } }
          buf = buf.slice(nl + 1)
          if (e.type === 'ADDED' && e.object?.metadata?.name) onAdded(e.object.metadata.name)
        }
      })
    })
    r.on('error', () => {})
    r.end()
    return () => r.destroy()
  }
  return { call, agent, watchAdded }
}

async function seed(api: ReturnType<typeof direct>, from: number, to: number) {
  let next = from
  let done = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < to) {
        const i = next++
        const p = pod(i)
        const r = await api.call('POST', `/api/v1/namespaces/${p.metadata.namespace}/pods`, p)
        if (r.status !== 201) throw new Error(`creating ${p.metadata.name}: ${r.status} ${r.text.slice(0, 300)}`)
        if (++done % 5000 === 0) log(`  ${from + done} pods (${(done / ((performance.now() - started) / 1000)).toFixed(0)}/s)`)
      }
    }),
  )
}

/** Bytes of the list index's SQLite files (the CACHE namespace's objects) under the edge's persistence dir. */
function indexBytes(persistDir: string): number {
  let total = 0
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (dir.includes('ClusterIndex') && /\.sqlite(-wal)?$/.test(e.name)) total += statSync(p).size
    }
  }
  walk(persistDir)
  return total
}

async function main() {
  log('starting a lite dev cluster, the edge (workerd) and an agent…')
  await using cluster = await devCluster('v1bench', { mode: 'lite' })
  await grantClusterAdmin(cluster, 'ops')
  // The cache reads as system:drover:cache, as the import manifest grants it in every cluster.
  const rbac = await cluster.kubectl(['apply', '-f', '-'], { input: stringify({ apiVersion: 'v1', kind: 'List', items: downstreamRbac() }) })
  if (rbac.code !== 0) throw new Error(rbac.stderr)
  for (let n = 0; n < NAMESPACES; n++) {
    const r = await cluster.kubectl(['create', 'namespace', `ns-${n}`])
    if (r.code !== 0) throw new Error(r.stderr)
  }
  const persistDir = mkdtempSync(join(tmpdir(), 'drover-bench-v1-do-'))
  await using edge = await startEdge([{ token: TOKEN, identity: IDENTITY, clusters: '*' }], { 'agent-v1bench': CLUSTER }, {}, { persistDir })
  await ensurePrograms({ log: (l) => log(`[programs] ${l}`) })
  await using _agent = startAgent(edge, 'agent-v1bench', cluster.kubeconfigPath, [], 'bundle')
  await waitConnected(await edgeKubeconfig(mkdtempSync(join(tmpdir(), 'drover-bench-v1-kc-')), edge, CLUSTER, TOKEN))

  const kube = new KubeConfig()
  kube.loadFromFile(cluster.kubeconfigPath)
  const tls: RequestOptions = {}
  await kube.applyToHTTPSOptions(tls)
  const api = direct(cluster, tls)
  const dispatcher = new UndiciAgent({ connect: { ca: edge.caPem }, connections: 8 })
  const v1 = async (path: string) => {
    const r = await request(`${edge.url.origin}/k8s/clusters/${CLUSTER}/v1${path}`, { dispatcher, headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' } })
    const text = await r.body.text()
    if (r.statusCode !== 200) throw new Error(`GET /v1${path}: ${r.statusCode} ${text.slice(0, 300)}`)
    return { body: JSON.parse(text) as { count?: number; data: unknown[]; summary?: unknown; revision?: string }, source: String(r.headers['x-drover-list'] ?? '') }
  }

  let seeded = 0
  /** Pods the subscribe phase created besides the seeded ones (the index counts them too). */
  let extra = 0
  for (const size of SIZES) {
    log(`seeding pods ${seeded}…${size}`)
    await seed(api, seeded, size)
    seeded = size

    const lists: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      const r = await api.call('GET', '/api/v1/pods')
      if (r.status !== 200) throw new Error(`direct LIST: ${r.status}`)
      lists.push(performance.now() - t)
    }

    // The first ask starts the index's feed of pods; until it has listed, answers come through the tunnel.
    const warmStart = performance.now()
    const first = await v1('/pods?pagesize=1')
    let source = first.source
    while (source !== 'index') {
      if (performance.now() - warmStart > 600_000) throw new Error('the index did not answer within 10 minutes')
      await new Promise((r) => setTimeout(r, 500))
      source = (await v1('/pods?pagesize=1')).source
    }
    const warmMs = performance.now() - warmStart
    // The index has all of them once its count is the size (pods created after its first list arrive by
    // its watch: how long it takes to catch up after the seeding is printed too).
    const catchUpStart = performance.now()
    for (let last = -1, lastLog = 0; ; ) {
      const count = (await v1('/pods?pagesize=1')).body.count ?? 0
      if (count === size + extra) break
      if (performance.now() - catchUpStart > 900_000) throw new Error(`the index holds ${count} of ${size + extra} pods after 15 minutes`)
      if (performance.now() - lastLog > 10_000 && count !== last) {
        log(`  the index holds ${count} of ${size + extra} pods`)
        lastLog = performance.now()
        last = count
      }
      await new Promise((r) => setTimeout(r, 500))
    }
    const catchUpMs = performance.now() - catchUpStart

    const timed = async (path: string) => {
      const xs: number[] = []
      let last: Awaited<ReturnType<typeof v1>> | undefined
      for (let i = 0; i < PAGE_RUNS; i++) {
        const t = performance.now()
        last = await v1(path)
        xs.push(performance.now() - t)
        if (last.source !== 'index') throw new Error(`${path} was answered from ${last.source}, not the index`)
      }
      return { p50: pct(xs, 50), p99: pct(xs, 99), last: last! }
    }
    const sorted = await timed('/pods?sort=metadata.name&pagesize=100&exclude=metadata.managedFields')
    const filtered = await timed('/pods?filter=spec.nodeName=node-7&filter=metadata.labels[tier]=web&sort=-metadata.creationTimestamp&pagesize=100&exclude=metadata.managedFields')
    const summary = await timed('/pods?summary=metadata.state.name&pagesize=1')
    // Every type the caller may list, counted (held types in the index, others through the tunnel).
    const countsMs: number[] = []
    let countSources = ''
    for (let i = 0; i < 10; i++) {
      const t = performance.now()
      const r = await request(`${edge.url.origin}/k8s/clusters/${CLUSTER}/v1/counts`, { dispatcher, headers: { authorization: `Bearer ${TOKEN}` } })
      await r.body.text()
      if (r.statusCode !== 200) throw new Error(`/v1/counts: ${r.statusCode}`)
      countsMs.push(performance.now() - t)
      countSources = String(r.headers['x-drover-counts'] ?? '')
    }
    const bytes = indexBytes(persistDir)

    console.log(`P10 ${size} pods (goal at 50,000: page p50 ≤ 50 ms, p99 ≤ 150 ms):`)
    console.log(`  direct apiserver LIST of all ${size}: p50 ${ms(pct(lists, 50))} (5 runs)`)
    console.log(`  index ready (first ask until answered from the index): ${(warmMs / 1000).toFixed(1)} s; then every pod held ${(catchUpMs / 1000).toFixed(1)} s later`)
    console.log(`  first page of 100 sorted by name: p50 ${ms(sorted.p50)} p99 ${ms(sorted.p99)} (${(pct(lists, 50) / sorted.p50).toFixed(0)}× faster than the direct LIST)`)
    console.log(`  filtered page (node, label; newest first): p50 ${ms(filtered.p50)} p99 ${ms(filtered.p99)}, ${filtered.last.body.count} match`)
    console.log(`  summary by state: p50 ${ms(summary.p50)} p99 ${ms(summary.p99)}: ${JSON.stringify(summary.last.body.summary)}`)
    console.log(`  /v1/counts (every type; ${countSources}): p50 ${ms(pct(countsMs, 50))} p99 ${ms(pct(countsMs, 99))} (10 runs)`)
    console.log(`  index storage: ${(bytes / 1048576).toFixed(1)} MiB of SQLite, ${(bytes / size).toFixed(0)} bytes per pod`)
    await subscribeLatency(edge.url.origin, edge.caPem, api, size)
    extra += EVENTS
  }
  await dispatcher.close()
  api.agent.destroy()
}

/**
 * A subscribe event's delivery after the apiserver's: one pod created at a time, seen by a direct watch
 * and by a `/v1/subscribe` socket subscribed to that namespace; the figure is the difference.
 */
async function subscribeLatency(origin: string, ca: string, api: ReturnType<typeof direct>, size: number) {
  const ns = 'ns-0'
  const seenDirect = new Map<string, number>()
  const seenSub = new Map<string, number>()
  const watch = api.watchAdded(`/api/v1/namespaces/${ns}/pods?watch=1`, (name) => seenDirect.set(name, performance.now()))
  const ws = new WebSocket(`${origin.replace(/^https/, 'wss')}/k8s/clusters/${CLUSTER}/v1/subscribe`, { ca, headers: { authorization: `Bearer ${TOKEN}` } })
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  let started = false
  ws.on('message', (data) => {
    const e = JSON.parse(String(data)) as { name: string; data?: { metadata?: { name?: string } } }
    if (e.name === 'resource.start') started = true
    if (e.name === 'resource.create' && e.data?.metadata?.name) seenSub.set(e.data.metadata.name, performance.now())
  })
  ws.send(JSON.stringify({ resourceType: 'pod', namespace: ns }))
  for (let i = 0; !started; i++) {
    if (i > 300) throw new Error('no resource.start within 30 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  const names: string[] = []
  for (let i = 0; i < EVENTS; i++) {
    const p = pod(10_000_000 + size + i)
    p.metadata.namespace = ns
    names.push(p.metadata.name)
    const r = await api.call('POST', `/api/v1/namespaces/${ns}/pods`, p)
    if (r.status !== 201) throw new Error(`creating ${p.metadata.name}: ${r.status}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  for (let i = 0; names.some((n) => !seenSub.has(n) || !seenDirect.has(n)); i++) {
    if (i > 300) throw new Error(`events missing after 30 s: subscribe saw ${names.filter((n) => seenSub.has(n)).length}/${EVENTS}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  ws.close()
  watch()
  const added = names.map((n) => seenSub.get(n)! - seenDirect.get(n)!)
  console.log(`  subscribe event after the apiserver's watch (n=${EVENTS}): p50 ${ms(pct(added, 50))} p99 ${ms(pct(added, 99))} (goal p99 ≤ 50 ms)`)
}

await main()
