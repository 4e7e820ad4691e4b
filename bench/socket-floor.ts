/**
 * `npm run bench:socket-floor` (issue 16, next to bench:scale's P6): what workerd itself costs per agent
 * tunnel held the edge's way, with none of drover's code (bench/edge-floor/socket-worker.ts): `--sockets`
 * (default 3,000) WebSockets over TLS as the local edge serves them, each held by its own Durable Object
 * through the hibernation API; then the same number held by the worker with no object. Prints workerd's RSS
 * and open files per socket while the objects are in memory and after they were evicted, the floor under
 * P6's "KiB per agent". Loopback only; the loop is bounded by `--sockets`.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import WebSocket from 'ws'
import { bundleWorker, generateEdgeTls } from '../infra/edge/local-edge.ts'
import { commandLine, descendants, rssMiB } from './proc-cpu.ts'

const { values: args } = parseArgs({ options: { sockets: { type: 'string', default: '3000' }, rest: { type: 'string', default: '45' } } })
const N = Number(args.sockets)
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)

async function measure(kind: 'object' | 'plain'): Promise<void> {
  const tls = await generateEdgeTls()
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      https: true,
      httpsCert: tls.certPem,
      httpsKey: tls.keyPem,
      modules: true,
      script: await bundleWorker(join(import.meta.dirname, 'edge-floor', 'socket-worker.ts')),
      compatibilityDate: '2026-11-01',
      durableObjects: { HOLD: { className: 'Hold', useSQLite: true } },
      cf: false,
      host: '127.0.0.1',
      port: 0,
    }),
  )
  const sockets: WebSocket[] = []
  try {
    const url = await miniflare.ready
    const pid = descendants(process.pid).find((p) => commandLine(p).includes('workerd'))!
    const fds = () => readdirSync(`/proc/${pid}/fd`).length
    const rss0 = rssMiB(pid)
    const fds0 = fds()
    const per = (rss: number, files: number, n = N) => `RSS ${rss.toFixed(0)} MiB = ${(((rss - rss0) * 1024) / n).toFixed(0)} KiB per socket, ${((files - fds0) / n).toFixed(2)} open files per socket`
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, N - i) }, async (_, k) => {
          const ws = new WebSocket(`${url.href.replace(/^http/, 'ws')}${kind === 'plain' ? 'plain/' : ''}c-${i + k}`, { ca: tls.caPem, perMessageDeflate: false })
          await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
          ws.send('hello')
          await new Promise((resolve) => ws.once('message', resolve))
          sockets.push(ws)
        }),
      )
      if ((i / 100) % 10 === 0) log(`${kind}: ${sockets.length}/${N} connected, ${per(rssMiB(pid), fds(), sockets.length)}`)
    }
    console.log(`${kind === 'object' ? 'one object per socket, hibernatable' : 'held by the worker, no object     '}: ${N} connected: ${per(rssMiB(pid), fds())} (with none: ${rss0.toFixed(0)} MiB)`)
    if (kind === 'object') {
      // Keepalives go on (auto-responded) while the objects go idle and workerd evicts them.
      const ping = setInterval(() => sockets.forEach((ws) => ws.send('drover-ping')), 10_000)
      await sleep(Number(args.rest) * 1000)
      clearInterval(ping)
      console.log(`one object per socket, after ${args.rest} s idle (objects evicted, sockets held): ${per(rssMiB(pid), fds())}`)
    }
  } finally {
    for (const ws of sockets) ws.terminate()
    await miniflare.dispose()
  }
}

console.log(`bench:socket-floor — ${N} agent-like WebSockets over TLS into one workerd (none of drover's code)`)
await measure('object')
await measure('plain')
