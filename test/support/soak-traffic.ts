// bench:soak's mixed traffic (issue 16), shared with the short soak test: GET and LIST to every cluster
// through the edge; on the real cluster also the same GET and LIST straight to its apiserver (for the
// ratio), a watch, kubectl exec, logs -f and port-forward. Each operation ends as a result with its link
// and time span, so an error can be held against the faults injected on that link (soak-faults.ts).
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { appendPodLog } from '../../infra/dev-cluster/pod-log.ts'
import { KUBE_ORIGIN, type Transport } from '../../protocol/kube/index.ts'
import { kubectlBin } from './dev-cluster.ts'
import { kubectlVia } from './proxy-fixture.ts'
import type { SoakStack } from './soak-stack.ts'
import { echoOver, waitForOutput } from './streams.ts'

export type Op = 'sim-get' | 'sim-list' | 'get' | 'list' | 'watch' | 'exec' | 'logs-f' | 'port-forward'

/** How often each operation is picked, relative to the others. */
export const OP_WEIGHTS: Record<Op, number> = { 'sim-get': 30, 'sim-list': 20, get: 14, list: 10, watch: 6, exec: 8, 'logs-f': 6, 'port-forward': 6 }

export interface Result {
  op: Op
  cluster: string
  start: number
  end: number
  ok: boolean
  /** What went wrong, when it did. */
  detail?: string
  /** The same request straight to the apiserver (get and list), ms, made after `end`; undefined when it failed. */
  directMs?: number
}

/** Every operation is bounded: one that has not ended by then is an error. */
const OP_TIMEOUT_MS = 30_000

class OpError extends Error {}

async function fetchOk(t: Transport, path: string): Promise<string> {
  const res = await t(new Request(`${KUBE_ORIGIN}${path}`, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) }))
  const text = await res.text()
  if (res.status !== 200) throw new OpError(`${res.status} ${text.slice(0, 200)}`)
  return text
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new OpError(`${what} did not come within ${ms} ms`)), ms)))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** kubectl as a child, killed by the time `use` returns (`use` bounds its own waits). */
async function withChild<T>(args: string[], use: (child: ReturnType<typeof spawn>) => Promise<T>): Promise<T> {
  const child = spawn(await kubectlBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((r) => child.once('exit', r))
  try {
    return await use(child)
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
}

export class Traffic {
  readonly results: Result[] = []
  private seq = 0

  constructor(private readonly s: SoakStack) {}

  private pick(): Op {
    const total = Object.values(OP_WEIGHTS).reduce((a, b) => a + b, 0)
    let r = Math.random() * total
    for (const [op, w] of Object.entries(OP_WEIGHTS) as [Op, number][]) if ((r -= w) < 0) return op
    return 'sim-get'
  }

  /** Runs one operation picked by weight and records it. */
  async one(): Promise<Result> {
    const op = this.pick()
    const sims = this.s.links.filter((l) => !l.real)
    const cluster = op.startsWith('sim-') && sims.length ? sims[Math.floor(Math.random() * sims.length)]!.cluster : this.s.realCluster
    const start = Date.now()
    let r: Result
    try {
      const { end, directMs } = (await this.op(op, cluster)) ?? {}
      r = { op, cluster, start, end: end ?? Date.now(), ok: true, ...(directMs === undefined ? {} : { directMs }) }
    } catch (e) {
      r = { op, cluster, start, end: Date.now(), ok: false, detail: (e as Error).message.slice(0, 300) }
    }
    this.results.push(r)
    return r
  }

  /** `workers` run operations until `until` (ms since the epoch), together at most `perSecond` started each second. */
  async run(workers: number, perSecond: number, until: number): Promise<void> {
    const gap = (workers * 1000) / perSecond
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        await sleep((w * gap) / workers)
        for (let i = 0; i < 10_000_000 && Date.now() < until; i++) {
          const t = Date.now()
          await this.one()
          await sleep(Math.max(0, Math.min(gap - (Date.now() - t), until - Date.now())))
        }
      }),
    )
  }

  /** Resolves when done; get and list say when their edge part ended and how long the direct one took. */
  private async op(op: Op, cluster: string): Promise<{ end: number; directMs?: number } | undefined> {
    const s = this.s
    const n = ++this.seq
    switch (op) {
      case 'sim-get': {
        const v = JSON.parse(await fetchOk(s.cluster(cluster), '/version')) as { simulatedCluster?: string }
        if (v.simulatedCluster !== cluster) throw new OpError(`answered by ${v.simulatedCluster}`)
        return undefined
      }
      case 'sim-list': {
        const l = JSON.parse(await fetchOk(s.cluster(cluster), '/api/v1/namespaces')) as { items: unknown[] }
        if (l.items.length !== 3) throw new OpError(`${l.items.length} namespaces`)
        return undefined
      }
      case 'get':
      case 'list': {
        const path = op === 'get' ? '/api/v1/namespaces/default' : '/api/v1/pods?limit=500'
        await fetchOk(s.viaEdge, path)
        const end = Date.now()
        // Straight to the apiserver with the same client, right after: the ratio's denominator. Its own
        // failure is not the edge's and not counted as one.
        const t = performance.now()
        try {
          await fetchOk(s.direct, path)
          return { end, directMs: performance.now() - t }
        } catch {
          return { end }
        }
      }
      case 'watch': {
        // The apiserver ends the watch after 3 s; until then it lists what exists as ADDED events.
        const body = await fetchOk(s.viaEdge, '/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=3')
        if (!body.includes(`"type":"ADDED"`) || !body.includes(s.pod)) throw new OpError(`watch ended without the pod: ${body.slice(0, 200)}`)
        return undefined
      }
      case 'exec': {
        const r = await kubectlVia(s.kubeconfig, ['exec', s.pod, '--request-timeout=30s', '--', 'echo', `soak-${n}`])
        if (r.code !== 0 || r.stdout.trim() !== `soak-${n}`) throw new OpError(`exec exit ${r.code}: ${r.stdout.slice(0, 100)} ${r.stderr.slice(0, 200)}`)
        return undefined
      }
      case 'logs-f':
        return withChild(['--kubeconfig', s.kubeconfig, 'logs', '-f', '--tail=1', s.pod], async (child) => {
          await waitForOutput(child, /\S/, OP_TIMEOUT_MS)
          const mark = `soak-followed-${n}`
          const seen = waitForOutput(child, new RegExp(mark), OP_TIMEOUT_MS)
          // Held from now: kubectl may exit while the line is being written.
          seen.catch(() => {})
          await appendPodLog(s.down.record.dir, mark)
          await seen
          return undefined
        })
      case 'port-forward':
        return withChild(['--kubeconfig', s.kubeconfig, 'port-forward', s.pod, ':8080'], async (child) => {
          const line = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+)/, OP_TIMEOUT_MS)
          const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1])
          const text = `soak-forward-${n}`
          const got = await within(echoOver(port, text), OP_TIMEOUT_MS, 'the echo')
          if (got !== text) throw new OpError(`port-forward echoed ${JSON.stringify(got.slice(0, 80))}`)
          return undefined
        })
    }
  }
}

/** Open streams at the end, as the edge's and the real agent's /metrics say. */
export async function openStreams(s: SoakStack): Promise<{ edge: number; agent: number }> {
  const value = (text: string, name: string) => {
    const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text)
    if (!m) throw new Error(`no ${name} in /metrics`)
    return Number(m[1])
  }
  const edge = await s.base.edge.fetch('/metrics', { headers: { authorization: `Bearer ${s.metricsToken}` } })
  const edgeText = await edge.text()
  if (edge.status !== 200) throw new Error(`edge /metrics: ${edge.status} ${edgeText.slice(0, 200)}`)
  const agent = await fetch(s.agentMetricsUrl)
  const agentText = await agent.text()
  return { edge: value(edgeText, 'drover_edge_tunnel_streams_open'), agent: value(agentText, 'drover_agent_tunnel_streams') }
}

/**
 * Open streams once traffic has stopped: `idle`, after up to 20 s for them to drain by themselves, and
 * `nudged`, after one more line in the pod's log (up to 30 s more). The second exists because workerd sees
 * that the client of a streamed response has gone only when it writes to it: a `logs -f` whose kubectl was
 * killed while its pod printed nothing holds its tunnel stream (and the agent's request upstream) until the
 * pod prints again. Seen locally both through Miniflare's TLS entry and on workerd's direct socket, with
 * and without the `enable_request_signal` flag.
 */
export async function settleStreams(s: SoakStack, baseline: { edge: number; agent: number }): Promise<{ idle: { edge: number; agent: number }; nudged: { edge: number; agent: number } }> {
  const wait = async (seconds: number) => {
    let now = await openStreams(s)
    for (let i = 0; i < seconds && (now.edge !== baseline.edge || now.agent !== baseline.agent); i++) {
      await sleep(1_000)
      now = await openStreams(s)
    }
    return now
  }
  const idle = await wait(20)
  await appendPodLog(s.down.record.dir, 'soak-nudge')
  // Generous: on a loaded machine workerd takes a while to see the gone clients once the pod writes.
  return { idle, nudged: await wait(60) }
}
