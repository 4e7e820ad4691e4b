/**
 * `npm run bench:edge-floor`: what workerd itself charges per request for the edge's shape, with none of
 * drover's code (bench/edge-floor/worker.ts). Each path adds one piece of the data path's skeleton: the
 * worker alone, the worker → Durable Object hop (as fetch, and as a JS RPC call for comparison), and one
 * WebSocket round trip from the object to a peer in this process (the agent's place). The last figure is
 * a floor for bench:proxy's "edge CPU per GET": drover's edge does all of it plus authentication and the
 * tunnel protocol. Loopback only; every loop is bounded in count.
 */
import { join } from 'node:path'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { Agent, request } from 'undici'
import WebSocket from 'ws'
import { bundleWorker } from '../infra/edge/local-edge.ts'
import { commandLine, cpuMicros, descendants } from './proc-cpu.ts'

const PATHS = ['/none', '/fetch', '/rpc', '/tunnel'] as const
const ROUNDS = 4
const PER_ROUND = 5000
const CLIENTS = 16
const WATCH_EVENTS = 400
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)

async function main() {
  log('bundling the floor worker and starting workerd…')
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: await bundleWorker(join(import.meta.dirname, 'edge-floor', 'worker.ts')),
      compatibilityDate: '2026-11-01',
      durableObjects: { FLOOR: { className: 'Floor', useSQLite: true } },
      cf: false,
      host: '127.0.0.1',
      port: 0,
      // Straight to the worker, as bench:proxy's drover-plain: no TLS, no Miniflare entry worker.
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    }),
  )
  try {
    await miniflare.ready
    const base = (await miniflare.unsafeGetDirectURL()).origin
    const workerd = descendants(process.pid).filter((p) => commandLine(p).includes('workerd'))
    const cpu = () => workerd.reduce((s, pid) => s + cpuMicros(pid), 0)

    // The peer answers each ask with the ask's id and a small body, as an agent answers with one BATCH.
    const peer = new WebSocket(`${base.replace(/^http/, 'ws')}/peer`)
    await new Promise((resolve, reject) => (peer.once('open', resolve), peer.once('error', reject)))
    peer.on('message', (data: Buffer) => {
      const out = Buffer.alloc(4 + 400, 0x78)
      data.copy(out, 0, 0, 4)
      peer.send(out)
    })

    const dispatcher = new Agent({ connections: CLIENTS })
    const headers = { accept: 'application/json', 'user-agent': 'kubectl/v1.34.0 (linux/amd64) kubernetes/bench', authorization: 'Bearer token-bench:secret' }
    const load = async (path: string, n: number) => {
      let i = 0
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (i++ < n) {
            const r = await request(`${base}${path}`, { dispatcher, headers })
            await r.body.arrayBuffer()
            if (r.statusCode !== 200) throw new Error(`${path}: status ${r.statusCode}`)
          }
        }),
      )
    }
    for (const p of PATHS) await load(p, 1000)
    const figures = new Map<string, number[]>(PATHS.map((p) => [p, []]))
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round} of ${ROUNDS}`)
      // Alternating rounds, so drift in the machine's speed falls on every path alike.
      for (const p of PATHS) {
        const before = cpu()
        await load(p, PER_ROUND)
        figures.get(p)!.push((cpu() - before) / PER_ROUND)
      }
    }
    // A watch: the peer sends events one WebSocket message each; the latency is from its send to the
    // client's read, both in this process (one clock).
    const watch = await request(`${base}/watch`, { dispatcher, headers })
    const arrivals: number[] = []
    const sentAt = new Map<number, number>()
    let buffered = ''
    watch.body.on('data', (chunk: Buffer) => {
      const at = performance.now()
      buffered += chunk.toString()
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const seq = Number(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        arrivals.push(at - sentAt.get(seq)!)
      }
    })
    for (let seq = 0; seq < WATCH_EVENTS; seq++) {
      sentAt.set(seq, performance.now())
      peer.send(`${seq}\n`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    watch.body.destroy()
    peer.close()
    await dispatcher.close()
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const none = median(figures.get('/none')!)
    console.log(`workerd CPU per request, ${CLIENTS} clients, ${ROUNDS} rounds of ${PER_ROUND} (µs; median, then each round):`)
    const what: Record<(typeof PATHS)[number], string> = {
      '/none': 'worker answers itself',
      '/fetch': 'worker → object, fetch(Request)',
      '/rpc': 'worker → object, JS RPC returning a Response',
      '/tunnel': 'worker → object → WebSocket round trip → answer (drover’s skeleton)',
    }
    for (const p of PATHS) {
      const xs = figures.get(p)!
      console.log(`  ${p.padEnd(8)} ${median(xs).toFixed(0).padStart(4)} (${(median(xs) / none).toFixed(2)}× /none)  [${xs.map((x) => x.toFixed(0)).join(', ')}]  ${what[p]}`)
    }
    const sorted = arrivals.slice(WATCH_EVENTS / 10).sort((a, b) => a - b)
    const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!
    console.log(
      `  /watch   one event from the peer's WebSocket send to the client's read through object and worker (n=${sorted.length} after warm-up): ` +
        `p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms (bench:proxy's P4 goal: ≤ 0.5 / 0.8 ms added)`,
    )
    console.log(`  the skeleton alone against bench:proxy's edge goal (≤ 300 µs per GET): ${median(figures.get('/tunnel')!).toFixed(0)} µs`)
  } finally {
    await miniflare.dispose()
  }
}

await main()
