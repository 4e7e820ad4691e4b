/**
 * `npm run bench:soak` (issue 16): `--agents N` (default 100) agents on one local edge for `--minutes N`
 * (default 15) of mixed traffic while their links flap, then the figures next to their goals:
 *   - errors: every failed operation is injected (it overlapped a cut on its own link) or not; goal: none not;
 *   - open streams on the edge and the real agent, from their /metrics, after traffic stops; goal: 0 (or the
 *     runner's own, measured before traffic);
 *   - RSS of workerd (the edge), the real agent and the runner, sampled every `--sample-seconds` (10), as a
 *     least-squares slope in MiB/hour after `--warmup-minutes` (3); goal: ~0;
 *   - GET and LIST latency to the real cluster through the edge, as a ratio to the same requests straight to
 *     its apiserver with the same client in the same run.
 *
 * One agent is real (`drover agent` for a real dev cluster with kwok pods: GET, LIST, watch, exec, logs -f,
 * port-forward); the others are simulated (test/support/agent-sim.ts, a scale-only stand-in: GET and LIST).
 * Every agent dials through its own Toxiproxy proxy; every `--flap-minutes` (3) the real link and a tenth of
 * the simulated ones are cut, down and reset in turn. Traffic: `--workers` (8) at most `--rate` (10) ops/s.
 * `--heap`: the edge's JavaScript heap after full collections too (through its V8 inspector), once after
 * warm-up and once when traffic stops, next to workerd's RSS then: a leak in the edge's code grows the heap;
 * a flat heap under a rising RSS is memory workerd holds below JavaScript.
 * Loopback only; loops are bounded in count and time; progress goes to stderr.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { Faults, flapSchedule } from '../test/support/soak-faults.ts'
import { soakStack } from '../test/support/soak-stack.ts'
import { openStreams, settleStreams, Traffic, type Op, type Result } from '../test/support/soak-traffic.ts'
import { EdgeHeap } from './edge-heap.ts'
import { commandLine, descendants, rssMiB } from './proc-cpu.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '15' },
    agents: { type: 'string', default: '100' },
    'flap-minutes': { type: 'string', default: '3' },
    'warmup-minutes': { type: 'string', default: '3' },
    'sample-seconds': { type: 'string', default: '10' },
    workers: { type: 'string', default: '8' },
    rate: { type: 'string', default: '10' },
    heap: { type: 'boolean', default: false },
  },
})
const num = (k: keyof typeof args) => {
  const n = Number(args[k])
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k}: a positive number, not ${JSON.stringify(args[k])}`)
  return n
}
const MINUTES = num('minutes')
const AGENTS = Math.max(2, Math.round(num('agents')))
const t0 = performance.now()
const log = (s: string) => process.stderr.write(`[soak ${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}\n`)
const out = (s: string) => process.stdout.write(`${s}\n`)

/** Least-squares slope of (t ms, y MiB) in MiB per hour. */
function slopePerHour(points: [number, number][]): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  return sxx === 0 ? NaN : (sxy / sxx) * 3_600_000
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN
}

async function main(): Promise<void> {
  out(`bench:soak — ${AGENTS} agents (1 real, ${AGENTS - 1} simulated), ${MINUTES} min of mixed traffic, links flapping every ${num('flap-minutes')} min`)
  // The scale stack opens the edge's inspector when this names a port.
  if (args.heap) process.env.DROVER_EDGE_INSPECTOR_PORT = String(await freePort())
  await using s = await soakStack('bench-soak', { agents: AGENTS, log })
  const heap = args.heap ? await EdgeHeap.open(Number(process.env.DROVER_EDGE_INSPECTOR_PORT)) : undefined
  // Interrupted: stop the clusters, processes and proxies before leaving, as the normal end does.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`)
      void Promise.resolve(s[Symbol.asyncDispose]()).finally(() => process.exit(130))
    })
  }
  const procs = () => {
    const mine = descendants(process.pid)
    return {
      edge: mine.filter((p) => commandLine(p).includes('workerd')),
      agent: [s.realAgent.child.pid!],
      runner: mine.filter((p) => / runner /.test(commandLine(p))),
    }
  }
  const p = procs()
  log(`processes: edge ${p.edge.join(',')}, agent ${p.agent}, runner ${p.runner.join(',') || 'NOT FOUND'}`)
  await sleep(5_000)
  const baseline = await openStreams(s)
  log(`open streams at rest before traffic: edge ${baseline.edge}, agent ${baseline.agent}`)

  const samples: { t: number; edge: number; agent: number; runner: number }[] = []
  const start = Date.now()
  const until = start + MINUTES * 60_000
  const sampler = setInterval(() => {
    const sum = (pids: number[]) => pids.reduce((a, pid) => a + rssMiB(pid), 0)
    samples.push({ t: Date.now() - start, edge: sum(p.edge), agent: sum(p.agent), runner: sum(p.runner) })
  }, num('sample-seconds') * 1000)
  const heapPoints: HeapPoint[] = []
  const heapPoint = async (at: string) => {
    if (!heap) return
    const h = await heap.afterGc().catch((e: Error) => void log(`edge heap (${at}): ${e.message}`))
    if (!h) return
    const point = { at, heapMiB: h.usedBytes / 2 ** 20, rssMiB: p.edge.reduce((a, pid) => a + rssMiB(pid), 0) }
    heapPoints.push(point)
    log(`edge JS heap after GC ${point.heapMiB.toFixed(1)} MiB, RSS ${point.rssMiB.toFixed(0)} MiB (${at})`)
  }
  const warmHeap = setTimeout(() => void heapPoint('after warm-up'), num('warmup-minutes') * 60_000)
  const traffic = new Traffic(s)
  const faults = new Faults(log)
  const progress = setInterval(() => {
    const r = traffic.results
    log(`${((Date.now() - start) / 60_000).toFixed(1)}/${MINUTES} min: ${r.length} ops, ${r.filter((x) => !x.ok).length} failed, ${r.filter((x) => !x.ok && !faults.injected(x)).length} not injected; RSS MiB edge ${samples.at(-1)?.edge.toFixed(0)}, agent ${samples.at(-1)?.agent.toFixed(0)}, runner ${samples.at(-1)?.runner.toFixed(0)}`)
  }, 30_000)
  let flaps = 0
  try {
    const simsPerFlap = Math.max(1, Math.round((AGENTS - 1) / 10))
    ;[flaps] = await Promise.all([
      flapSchedule(faults, s.links, { everyMs: num('flap-minutes') * 60_000, sims: simsPerFlap, until, log }),
      traffic.run(num('workers'), num('rate'), until),
    ])
    log('traffic stopped; waiting for the last cuts to heal')
    await heapPoint('traffic stopped')
    await faults.settle()
  } finally {
    clearInterval(sampler)
    clearInterval(progress)
    clearTimeout(warmHeap)
    heap?.close()
  }
  const streams = await settleStreams(s, baseline)
  report(traffic.results, faults, flaps, samples, streams, baseline, heapPoints)
}

interface HeapPoint {
  at: string
  heapMiB: number
  rssMiB: number
}

function report(results: Result[], faults: Faults, flaps: number, samples: { t: number; edge: number; agent: number; runner: number }[], streams: Awaited<ReturnType<typeof settleStreams>>, baseline: { edge: number; agent: number }, heapPoints: HeapPoint[]): void {
  const failed = results.filter((r) => !r.ok)
  const unexpected = failed.filter((r) => !faults.injected(r))
  out('')
  out(`| figure | value | goal |`)
  out(`|---|---|---|`)
  out(`| operations | ${results.length} in ${MINUTES} min (${(results.length / (MINUTES * 60)).toFixed(1)}/s) | — |`)
  out(`| link cuts | ${faults.windows.length} in ${flaps} flaps (${faults.windows.filter((w) => w.kind === 'down').length} down, ${faults.windows.filter((w) => w.kind === 'reset').length} reset); links not back: ${faults.stuck.length} | all back |`)
  out(`| failed, injected | ${failed.length - unexpected.length} | — |`)
  out(`| **failed, not injected** | **${unexpected.length}** | **0** |`)
  out(`| open streams after (edge, real agent) | ${streams.nudged.edge}, ${streams.nudged.agent} (at rest before: ${baseline.edge}, ${baseline.agent}) | back to before |`)
  out(`| … before the pod printed again | ${streams.idle.edge}, ${streams.idle.agent} (abandoned logs -f of a quiet pod: workerd sees the client gone only on a write) | — |`)
  const warm = num('warmup-minutes') * 60_000
  const after = samples.filter((x) => x.t >= warm)
  for (const k of ['edge', 'agent', 'runner'] as const) {
    const slope = slopePerHour(after.map((x) => [x.t, x[k]]))
    out(`| RSS slope ${k} | ${slope.toFixed(1)} MiB/h (${samples[0]?.[k].toFixed(0)} → ${samples.at(-1)?.[k].toFixed(0)} MiB, ${after.length} samples after ${num('warmup-minutes')} min) | ~0 |`)
  }
  if (heapPoints.length) {
    out(`| edge JS heap after full GC | ${heapPoints.map((h) => `${h.heapMiB.toFixed(1)} MiB ${h.at}`).join(' → ')} (workerd RSS then ${heapPoints.map((h) => h.rssMiB.toFixed(0)).join(' → ')} MiB) | flat |`)
  }
  for (const op of ['get', 'list'] as Op[]) {
    const ok = results.filter((r) => r.op === op && r.ok && r.directMs !== undefined)
    const edge = pct(ok.map((r) => r.end - r.start), 50)
    const direct = pct(ok.map((r) => r.directMs!), 50)
    out(`| ${op} p50 via edge / direct | ${edge.toFixed(1)} / ${direct.toFixed(1)} ms = ${(edge / direct).toFixed(1)}× (${ok.length} pairs) | — |`)
  }
  out('')
  out(`| op | count | failed (injected) | p50 ms | p95 ms |`)
  out(`|---|---|---|---|---|`)
  for (const op of ['sim-get', 'sim-list', 'get', 'list', 'watch', 'exec', 'logs-f', 'port-forward'] as Op[]) {
    const all = results.filter((r) => r.op === op)
    const ms = all.filter((r) => r.ok).map((r) => r.end - r.start)
    const f = all.filter((r) => !r.ok)
    out(`| ${op} | ${all.length} | ${f.length} (${f.filter((r) => faults.injected(r)).length}) | ${pct(ms, 50).toFixed(0)} | ${pct(ms, 95).toFixed(0)} |`)
  }
  for (const r of unexpected.slice(0, 10)) out(`not injected: ${r.op} ${r.cluster} at +${((r.start - (results[0]?.start ?? 0)) / 1000).toFixed(0)} s: ${r.detail}`)
}

await main()
log('done')
