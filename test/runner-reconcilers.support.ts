// Drives the reconcilers without the runtime: caches that hold a snapshot listed from the apiserver at the
// start of each pass, and a loop that reconciles every object until a pass writes nothing.
import pino from 'pino'
import type { KubeConfig } from '@kubernetes/client-node'
import { buildReconcilers, type ReconcilerContext, type Reconcilers } from '../controller-runner/reconcilers/index.ts'
import { forEachLimited } from '../controller-runner/reconcilers/limit.ts'
import { TerminalError, type Cache, type Clock, type Request } from '../controller-runner/runtime/types.ts'
import { edgeTransports, kubeConfigTransport, type EdgeAccess } from '../node/kube/index.ts'
import { KubeClient, type KubeObject, type ResourceType } from '../protocol/kube/index.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RUNNER_IDENTITY } from '../protocol/api/identities.ts'
import { downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { ManualClock } from './support/manual-clock.ts'
import { edgeKubeconfig, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'

/** A Cache<T> over a snapshot: `refresh()` lists the type again. */
class SnapshotCache<T extends KubeObject> implements Cache<T> {
  private items = new Map<string, T>()
  private done = false
  constructor(
    readonly type: ResourceType,
    private readonly client: KubeClient,
  ) {}

  async refresh(): Promise<void> {
    const list = await this.client.list<T>(this.type)
    this.items = new Map(list.items.map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]))
    this.done = true
  }

  get(name: string, namespace?: string): T | undefined {
    return this.items.get(`${namespace ?? ''}/${name}`)
  }

  list(namespace?: string): T[] {
    const all = [...this.items.values()]
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace)
  }

  synced(): boolean {
    return this.done
  }
}

export interface HarnessOptions {
  management: KubeConfig
  edge?: EdgeAccess
  serverUrl?: string
  clock?: Clock
  onClusterDeleted?: (id: string) => Promise<void>
}

export interface PassReport {
  passes: number
  writes: number
  errors: { controller: string; request: Request; error: unknown }[]
}

export class Harness {
  readonly client: KubeClient
  readonly reconcilers: Reconcilers
  readonly ctx: ReconcilerContext
  private readonly caches = new Map<string, SnapshotCache<KubeObject>>()
  private readonly seen = new Map<string, Map<string, Request>>()
  private writes = 0
  private readonly transports: { close(): void }[] = []

  constructor(opts: HarnessOptions) {
    const onWrite = (method: string, path: string) => {
      this.writes++
      if (process.env.DROVER_DEBUG_WRITES) process.stderr.write(`write: ${method} ${path}\n`)
    }
    const management = kubeConfigTransport(opts.management)
    this.client = new KubeClient(management, { onWrite })
    const cacheFor = (type: ResourceType) => {
      const k = `${type.group}/${type.plural}`
      let c = this.caches.get(k)
      if (!c) this.caches.set(k, (c = new SnapshotCache(type, this.client)))
      return c
    }
    const edge = opts.edge ? edgeTransports(opts.edge) : undefined
    this.transports.push(management, ...(edge ? [edge] : []))
    this.ctx = {
      cache: <T>(type: ResourceType) => cacheFor(type) as unknown as Cache<T>,
      management: this.client,
      downstream: edge ? (id) => new KubeClient(edge.cluster(id), { onWrite }) : () => { throw new Error('no edge in this test') },
      serverUrl: opts.serverUrl ?? 'https://drover.test',
      clock: opts.clock ?? new ManualClock(Date.now()),
      logger: pino({ level: 'silent' }),
      ...(opts.onClusterDeleted ? { onClusterDeleted: opts.onClusterDeleted } : {}),
    }
    this.reconcilers = buildReconcilers(this.ctx)
  }

  /** Closes the keep-alive connections. */
  close(): void {
    for (const t of this.transports) t.close()
  }

  refresh(): Promise<void> {
    return Promise.all([...this.caches.values()].map((c) => c.refresh())).then(() => {})
  }

  /** One pass: every object of every controller's kind (and any seen before, now gone) reconciled once. */
  async pass(only?: string[], requests?: (req: Request) => boolean): Promise<PassReport> {
    await this.refresh()
    const before = this.writes
    const errors: PassReport['errors'] = []
    for (const spec of this.reconcilers.specs) {
      if (only && !only.includes(spec.name)) continue
      const cache = this.ctx.cache<KubeObject>(spec.type)
      const seen = this.seen.get(spec.name) ?? new Map<string, Request>()
      this.seen.set(spec.name, seen)
      for (const o of cache.list()) {
        const req = o.metadata.namespace ? { namespace: o.metadata.namespace, name: o.metadata.name! } : { name: o.metadata.name! }
        seen.set(`${req.namespace ?? ''}/${req.name}`, req)
      }
      await forEachLimited([...seen.values()].filter((r) => !requests || requests(r)), spec.workers ?? 1, async (request) => {
        try {
          await spec.reconciler.reconcile(request)
        } catch (error) {
          errors.push({ controller: spec.name, request, error })
        }
      })
    }
    return { passes: 1, writes: this.writes - before, errors }
  }

  /** Passes until one writes nothing and fails nothing; terminal errors are returned, not retried forever. */
  async settle(opts: { only?: string[]; requests?: (req: Request) => boolean; maxPasses?: number } = {}): Promise<PassReport> {
    let total: PassReport = { passes: 0, writes: 0, errors: [] }
    for (let i = 0; i < (opts.maxPasses ?? 15); i++) {
      const r = await this.pass(opts.only, opts.requests)
      total = { passes: total.passes + 1, writes: total.writes + r.writes, errors: r.errors }
      const retryable = r.errors.filter((e) => !(e.error instanceof TerminalError))
      if (r.writes === 0 && retryable.length === 0) return total
    }
    throw new Error(`not quiescent after ${total.passes} passes: ${total.errors.map((e) => `${e.controller} ${e.request.namespace ?? ''}/${e.request.name}: ${String(e.error)}`).join('; ')}`)
  }
}

/** kubectl apply of a list of objects. */
export const asList = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items })

/** What the runner's downstream tests share: a management and a downstream cluster joined by the edge and an agent. */
export interface DownstreamStack extends AsyncDisposable {
  mc: DevCluster
  down: DevCluster
  edge: TestEdge
  agent: AgentProcess
  h: Harness
}

/**
 * Two lite clusters with drover's RBAC (management and downstream), the edge in workerd knowing the
 * runner's token and an agent for `clusterId` (serving `down`), and a harness seeded against the
 * management cluster. The Cluster objects are the caller's to create.
 */
export async function downstreamStack(prefix: string, clusterId: string, runnerToken: string): Promise<DownstreamStack> {
  const kubeconfigDir = mkdtempSync(join(tmpdir(), `drover-${prefix}-`))
  const [mc, down] = await Promise.all([devCluster(`${prefix}-mgmt`, { mode: 'lite' }), devCluster(`${prefix}-down`, { mode: 'lite' })])
  for (const [cluster, objects] of [[mc, [...managementRbac(), ...downstreamRbac()]], [down, downstreamRbac()]] as const) {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: asList([...objects]) })
    if (r.code !== 0) throw new Error(`applying drover's RBAC to ${cluster.name}: ${r.stderr}`)
  }
  const edge = await startEdge([{ token: runnerToken, identity: { ...RUNNER_IDENTITY, extra: {} }, clusters: '*' }], { [`agent-${prefix}`]: clusterId })
  const agent = startAgent(edge, `agent-${prefix}`, down.kubeconfigPath)
  await waitConnected(await edgeKubeconfig(kubeconfigDir, edge, clusterId, runnerToken))
  const h = new Harness({ management: mc.kubeConfig, edge: { url: edge.url.origin, token: runnerToken, ca: edge.caPem } })
  await h.reconcilers.seed()
  return {
    mc,
    down,
    edge,
    agent,
    h,
    async [Symbol.asyncDispose]() {
      h.close()
      await agent[Symbol.asyncDispose]()
      await edge.dispose()
      await Promise.all([mc[Symbol.asyncDispose](), down[Symbol.asyncDispose]()])
    },
  }
}
