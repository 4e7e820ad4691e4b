/**
 * P8 of DESIGN.md: 1,000 Clusters created at once → every ClusterRegistrationToken has its manifest URL.
 * The real `drover runner` process (informers, work queue, leader election, reconcilers) against a lite
 * management dev cluster. Direct access in the same run: the time the apiserver takes just to accept the
 * 1,000 creates — the floor any controller sits on. Also prints the writes per Cluster the runner made
 * (its drover_runner_writes_total, by method and resource).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Cluster, ClusterRegistrationToken } from '../protocol/crds/index.ts'
import { kubeConfigTransport } from '../node/kube/index.ts'
import { KubeClient, mgmt } from '../protocol/kube/index.ts'
import { forEachLimited } from '../controller-runner/reconcilers/limit.ts'
import { ensurePrograms, PROGRAMS_DIR, PROGRAMS_ENTRY } from '../infra/build/programs.ts'
import { devCluster } from '../test/support/dev-cluster.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const N = Number(process.env.P8_CLUSTERS ?? 1000)
const CREATE_CONCURRENCY = 32
const ROOT = join(import.meta.dirname, '..')

/** drover_runner_writes_total from a runner's /metrics: `METHOD resource` → count. */
async function writes(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text()
  const out = new Map<string, number>()
  for (const m of text.matchAll(/^drover_runner_writes_total\{method="([^"]*)",resource="([^"]*)"\} (\d+)/gm)) out.set(`${m[1]} ${m[2]}`, Number(m[3]))
  return out
}

/** The apiserver's own count of requests (apiserver_request_total), by `VERB resource[/subresource]`. */
async function apiserverRequests(client: KubeClient): Promise<Map<string, number>> {
  const text = await (await client.send('GET', '/metrics')).text()
  const out = new Map<string, number>()
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)) {
    const label = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(m[1]!)?.[1] ?? ''
    const key = `${label('verb')} ${label('resource')}${label('subresource') ? `/${label('subresource')}` : ''}`
    out.set(key, (out.get(key) ?? 0) + Number(m[2]))
  }
  return out
}

const delta = (after: Map<string, number>, before: Map<string, number>) => new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0))

async function main(): Promise<void> {
  log('starting a lite management cluster')
  await using mc = await devCluster('bench-p8', { mode: 'lite' })
  await mc.kubectl(['create', 'namespace', 'cattle-system'])
  const transport = kubeConfigTransport(mc.kubeConfig)
  const client = new KubeClient(transport)
  const CLUSTER = mgmt('Cluster')
  const CRT = mgmt('ClusterRegistrationToken')

  log('starting the runner and waiting for it to lead')
  // The runner as the image runs it (the esbuild bundle); DROVER_BENCH_PROGRAM=source runs it through tsx.
  const source = process.env.DROVER_BENCH_PROGRAM === 'source'
  if (!source) await ensurePrograms({ log: (l) => log(`[programs] ${l}`) })
  const entry = source ? join(ROOT, 'bin', 'drover.js') : join(PROGRAMS_DIR, PROGRAMS_ENTRY)
  log(`runner program: ${source ? 'source' : 'bundle'}`)
  const runner = spawn(process.execPath, [entry, 'runner', '--kubeconfig', mc.kubeconfigPath, '--server-url', 'https://drover.bench', '--metrics-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let runnerLog = ''
  let metricsUrl = ''
  const keep = (d: Buffer) => {
    runnerLog = (runnerLog + d.toString()).slice(-20_000)
    metricsUrl ||= /"msg":"runner started"/.test(runnerLog) ? (/"metrics":"([^"]+)"/.exec(runnerLog)?.[1] ?? '') : ''
  }
  runner.stdout!.on('data', keep)
  runner.stderr!.on('data', keep)
  try {
    // Leading and seeded: the `local` Cluster's token exists.
    for (let i = 0; ; i++) {
      const crts = await client.list<ClusterRegistrationToken>(CRT).then((l) => l.items, () => [])
      if (metricsUrl && crts.some((c) => c.metadata.namespace === 'local' && c.status?.manifestUrl)) break
      if (i > 240) throw new Error(`the runner did not start leading:\n${runnerLog}`)
      await sleep(250)
    }
    const ids = Array.from({ length: N }, (_, i) => `c-p8-${String(i).padStart(4, '0')}`)
    // The `local` Cluster's own writes settle first, so the count below is the 1,000's.
    await sleep(3_000)
    const before = await writes(metricsUrl)
    const requestsBefore = await apiserverRequests(client)
    log(`creating ${N} Clusters, ${CREATE_CONCURRENCY} at a time`)
    const started = performance.now()
    await forEachLimited(ids, CREATE_CONCURRENCY, async (id) => {
      await client.create<Cluster>(CLUSTER, { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: id }, spec: { displayName: id } })
    })
    const created = performance.now()
    const want = new Set(ids)
    let ready = 0
    for (;;) {
      const crts = (await client.list<ClusterRegistrationToken>(CRT)).items
      ready = crts.filter((c) => c.status?.manifestUrl && want.has(c.metadata.namespace!)).length
      if (ready >= N) break
      if (performance.now() - started > 600_000) throw new Error(`only ${ready}/${N} ready after 600 s`)
      await sleep(250)
    }
    const done = performance.now()
    const total = (done - started) / 1000
    const direct = (created - started) / 1000
    process.stdout.write(`P8 ${N} Clusters → tokens and manifests ready in ${total.toFixed(1)} s (target ≤ 20 s); the ${N} creates alone (direct): ${direct.toFixed(1)} s; ratio ${(total / direct).toFixed(1)}\n`)
    // Writes that follow readiness (conditions, the creator binding) count too: give them time to land.
    await sleep(5_000)
    const made = delta(await writes(metricsUrl), before)
    const sum = [...made.values()].reduce((a, b) => a + b, 0)
    const detail = [...made].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${(v / N).toFixed(2)}`).join(', ')
    process.stdout.write(`P8 runner writes per Cluster: ${(sum / N).toFixed(2)} (${detail})\n`)
    // Everything the apiserver served meanwhile, the bench's own creates and polling included.
    const served = [...delta(await apiserverRequests(client), requestsBefore)].filter(([k]) => !k.startsWith('WATCH')).sort(([, a], [, b]) => b - a)
    process.stdout.write(`P8 apiserver requests per Cluster (bench included): ${served.map(([k, v]) => `${k} ${(v / N).toFixed(2)}`).join(', ')}\n`)
  } finally {
    transport.close()
    if (runner.exitCode === null && runner.signalCode === null) {
      const exited = new Promise((r) => runner.once('exit', r))
      runner.kill('SIGTERM')
      await exited
    }
  }
}

await main()
