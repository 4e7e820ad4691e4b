import type { Logger } from 'pino'
import { NODE, type KubeClient, type KubeObject } from '../protocol/kube/index.ts'
import type { ClusterFacts, Clock } from '../protocol/tunnel/index.ts'
import { errorText } from '../node/log.ts'
import { formatMilli, parseMilli } from './quantity.ts'
import type { ApiServerHealth } from './apiserver-health.ts'

export type CollectFacts = () => Promise<ClusterFacts>

/** The part of a Node the facts read. */
interface NodeStatus extends KubeObject {
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> }
}

/** The resources summed over nodes; byte-sized ones are printed with binary suffixes. */
const RESOURCES: Record<string, { bytes: boolean }> = { cpu: { bytes: false }, memory: { bytes: true }, pods: { bytes: false } }
const PAGE = 500

/**
 * Facts from the agent's own cluster, read with the agent's service account (it needs `list nodes`).
 * A part that cannot be read is left out rather than failing the whole report.
 */
export function kubeFacts(client: KubeClient, logger: Logger, health?: Pick<ApiServerHealth, 'state' | 'unready'>): CollectFacts {
  const warned = new Set<string>()
  const warnOnce = (what: string, e: unknown) => {
    if (warned.has(what)) return
    warned.add(what)
    logger.warn({ err: errorText(e) }, `cannot read ${what} for cluster facts`)
  }
  let last: ClusterFacts = {}
  return async () => {
    const apiServer = health?.state
    // An apiserver that is not ready may hold every request: keep what it said last and report only that.
    if (health?.unready) return { ...last, ...(apiServer ? { apiServer } : {}) }
    const facts: ClusterFacts = {}
    const signal = AbortSignal.timeout(READ_TIMEOUT_MS)
    const [info, nodes] = await Promise.allSettled([client.request<{ gitVersion?: string }>('GET', '/version', { signal }), listNodes(client, signal)])
    if (info.status === 'fulfilled') facts.kubernetesVersion = info.value.gitVersion
    else warnOnce('the Kubernetes version', info.reason)
    if (nodes.status === 'fulfilled') Object.assign(facts, summarizeNodes(nodes.value))
    else warnOnce('nodes', nodes.reason)
    last = facts
    return { ...facts, ...(apiServer ? { apiServer } : {}) }
  }
}

/** A facts poll never waits longer than this on the apiserver, so a readiness change is never stuck behind it. */
const READ_TIMEOUT_MS = 10_000

async function listNodes(client: KubeClient, signal: AbortSignal): Promise<NodeStatus[]> {
  const out: NodeStatus[] = []
  // The first page may come from the watch cache (resourceVersion 0).
  for await (const page of client.pages<NodeStatus>(NODE, { limit: PAGE, resourceVersion: '0', signal })) out.push(...page.items)
  return out
}

export function summarizeNodes(nodes: Pick<NodeStatus, 'status'>[]): Pick<ClusterFacts, 'nodeCount' | 'capacity' | 'allocatable'> {
  return {
    nodeCount: nodes.length,
    capacity: sumResources(nodes.map((n) => n.status?.capacity)),
    allocatable: sumResources(nodes.map((n) => n.status?.allocatable)),
  }
}

export function sumResources(lists: (Record<string, string> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, { bytes }] of Object.entries(RESOURCES)) {
    let total = 0n
    for (const list of lists) {
      const q = list?.[name]
      const milli = q === undefined ? undefined : parseMilli(q)
      if (milli !== undefined) total += milli
    }
    out[name] = formatMilli(total, { bytes })
  }
  return out
}

export interface FactsReporterOptions {
  collect: CollectFacts
  send: (facts: ClusterFacts) => void
  clock: Clock
  logger: Logger
  intervalMs?: number
}

/** Sends facts once at start and then whenever a poll finds them changed; one reporter per connection. */
export class FactsReporter {
  private timer: unknown
  private last?: string
  private stopped = false
  private polling = false
  private again = false

  constructor(private readonly opts: FactsReporterOptions) {}

  start(): void {
    void this.poll()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Something the facts include changed (the apiserver's readiness): poll now, or right after the poll in flight. */
  refresh(): void {
    if (this.stopped) return
    if (this.polling) {
      this.again = true
      return
    }
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    void this.poll()
  }

  private async poll(): Promise<void> {
    this.polling = true
    try {
      const facts = await this.opts.collect()
      const text = JSON.stringify(facts)
      if (!this.stopped && text !== this.last) {
        this.opts.send(facts)
        this.last = text
        this.opts.logger.debug({ facts }, 'sent cluster facts')
      }
    } catch (e) {
      this.opts.logger.warn({ err: errorText(e) }, 'collecting cluster facts failed')
    }
    this.polling = false
    if (this.again && !this.stopped) {
      this.again = false
      return this.poll()
    }
    if (!this.stopped) this.timer = this.opts.clock.setTimeout(() => void this.poll(), this.opts.intervalMs ?? 30_000)
  }
}
