/**
 * `npm run bench:pacing`: does the kube-apiserver's CPU per GET depend on how long it idles between serial
 * requests? The same impersonated GET as bench:proxy's P1, from one client straight to the apiserver, with
 * a pause of 0–4 ms after each answer. A proxy that adds latency lengthens that pause, so P1's "apiserver
 * CPU vs direct" rises with a path's added latency even when the path asks nothing more of it; this
 * measures by how much. Idle CPU is subtracted as in bench:proxy; loops are bounded in count.
 */
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { KubeConfig } from '@kubernetes/client-node'
import { devCluster } from '../test/support/dev-cluster.ts'
import { grantClusterAdmin } from '../test/support/proxy-fixture.ts'
import { cpuPerRequest, idleRates } from './proc-cpu.ts'

const GAPS_MS = [0, 1, 2, 4]
const ROUNDS = 3
const PER_ROUND = 1500
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)

async function main() {
  log('starting a dev cluster…')
  await using cluster = await devCluster('pacing', { mode: 'lite' })
  await grantClusterAdmin(cluster, 'ops')
  const kube = new KubeConfig()
  kube.loadFromFile(cluster.kubeconfigPath)
  const tls: RequestOptions = {}
  await kube.applyToHTTPSOptions(tls)
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls.ca, cert: tls.cert, key: tls.key })
  // As the proxies ask: the agent and the remotedialer server both impersonate this identity.
  const headers = { 'impersonate-user': 'bench', 'impersonate-group': ['ops'] }
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const r = httpsRequest(`${cluster.server}/api/v1/namespaces/default`, { ...tls, agent, headers }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET answered ${res.statusCode}`))
        res.resume()
        res.on('end', resolve)
      })
      r.on('error', reject)
      r.end()
    })
  const hops = [{ name: 'apiserver', pids: cluster.record.components.filter((c) => c.name === 'kube-apiserver').map((c) => c.pid) }]
  for (let i = 0; i < 500; i++) await get()
  const idle = await idleRates(hops, 5000)
  const figures = new Map<number, number[]>(GAPS_MS.map((g) => [g, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS}`)
    for (const gap of GAPS_MS) {
      const r = await cpuPerRequest(
        hops,
        async () => {
          for (let i = 0; i < PER_ROUND; i++) {
            await get()
            if (gap) await sleep(gap)
          }
          return PER_ROUND
        },
        idle,
      )
      figures.get(gap)!.push(r.perRequest.get('apiserver')!)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const base = median(figures.get(0)!)
  console.log(`apiserver CPU per serial GET by pause after each answer (µs, idle ${idle.get('apiserver')!.toFixed(0)} µs/s subtracted; median, then each round):`)
  for (const gap of GAPS_MS) {
    const xs = figures.get(gap)!
    console.log(`  pause ${gap} ms: ${median(xs).toFixed(0)} (${(median(xs) / base).toFixed(2)}× no pause)  [${xs.map((x) => x.toFixed(0)).join(', ')}]`)
  }
}

await main()
