import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { Backoff } from '../node/backoff.ts'
import { startProbeServer, type ProbeServer } from '../node/http-server.ts'
import { edgeTransports, kubeConfigTransport } from '../node/kube/index.ts'
import { errorText } from '../node/log.ts'
import { apiVersionOf, KubeClient, KubeError, NAMESPACE, type KubeObject, type ResourceType } from '../protocol/kube/index.ts'
import { Controller } from './runtime/controller.ts'
import { Informer } from './runtime/informer.ts'
import { defaultTimings, LeaderElector, sleep, type LeaderElectionTimings } from './runtime/leader-election.ts'
import { KubeLeaseStore } from './runtime/lease-store.ts'
import { RunnerMetrics } from './runtime/metrics.ts'
import { systemClock, type Cache, type Clock, type ControllerContext, type ControllerSpec, type EdgeConfig } from './runtime/types.ts'
import { guardedClients } from './runtime/write-guard.ts'

export class ManagerError extends Error {}

const STOP_GRACE_MS = 5_000

export interface ManagerOptions {
  kubeConfig: KubeConfig
  logger: Logger
  /** Where the Lease lives; the namespace must exist. */
  leaseNamespace: string
  leaseName: string
  timings?: LeaderElectionTimings
  /** Defaults to `<hostname>_<uuid>`, unique per process like client-go's. */
  identity?: string
  /** `/healthz`, `/readyz`, `/metrics`. */
  metricsAddr: { host: string; port: number }
  edge?: EdgeConfig
  serverUrl?: string
  clock?: Clock
}

/**
 * The controller runner's process: informers on every replica (so a new leader starts from a warm
 * cache), leader election, and controllers only while leading. Each leadership term gets fresh
 * controllers and queues, seeded with every object of their kind; when the term ends they are shut
 * down, in-flight requests are aborted through the term's signal, and the next term starts clean.
 */
export class Manager {
  readonly identity: string
  readonly metrics = new RunnerMetrics()
  readonly context: ControllerContext
  private readonly clock: Clock
  private readonly log: Logger
  private readonly informers = new Map<string, Informer>()
  private readonly specs: ControllerSpec[] = []
  private readonly leaderTasks: { name: string; fn: (signal: AbortSignal) => Promise<void> }[] = []
  private readonly elector: LeaderElector
  /** Unguarded: informers (every replica reads), the Lease, the start-up check. */
  private readonly reader: KubeClient
  private readonly closeTransports: () => void
  private readonly stopping = new AbortController()
  private server: ProbeServer | undefined
  private election: Promise<void> | undefined
  private term: Promise<{ controllers: Controller[]; unsubscribe: (() => void)[] }> | undefined

  constructor(private readonly opts: ManagerOptions) {
    this.clock = opts.clock ?? systemClock
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`
    this.log = opts.logger.child({ identity: this.identity })
    const timings = opts.timings ?? defaultTimings
    const management = kubeConfigTransport(opts.kubeConfig)
    const edge = opts.edge ? edgeTransports(opts.edge) : undefined
    this.closeTransports = () => {
      management.close()
      edge?.close()
    }
    this.reader = new KubeClient(management)
    this.elector = new LeaderElector(new KubeLeaseStore(this.reader, opts.leaseNamespace, opts.leaseName), this.identity, timings, this.clock, this.log)
    const onWrite = (method: string, path: string) => this.metrics.wrote(method, path)
    const clients = guardedClients(this.elector, { management, ...(edge ? { edge } : {}) }, { onWrite })
    this.context = {
      cache: <T extends KubeObject>(type: ResourceType) => this.cache<T>(type),
      client: clients.client,
      ...(clients.edge ? { edge: clients.edge } : {}),
      identity: this.identity,
      ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}),
      logger: opts.logger,
      clock: this.clock,
    }
  }

  /** Registers a controller (before `start`); its types' informers are created now. */
  add(spec: ControllerSpec): void {
    if (!/^[a-z0-9-]+$/.test(spec.name)) throw new ManagerError(`controller name "${spec.name}" must match [a-z0-9-]+`)
    if (this.specs.some((s) => s.name === spec.name)) throw new ManagerError(`controller "${spec.name}" registered twice`)
    this.specs.push(spec)
    this.cache(spec.type)
    for (const w of spec.watches ?? []) this.cache(w.type)
  }

  /**
   * Work to run at the start of every leadership term once caches have synced, beside the controllers
   * (seeding objects no event would enqueue). A failure is logged and retried with backoff in that term.
   */
  addLeaderTask(name: string, fn: (signal: AbortSignal) => Promise<void>): void {
    this.leaderTasks.push({ name, fn })
  }

  /** All informer caches have their first full list. */
  synced(): boolean {
    return [...this.informers.values()].every((i) => i.synced())
  }

  /** Serves probes, starts informers and campaigns; resolves once serving (not when leading). */
  async start(): Promise<{ metricsUrl: string }> {
    await this.checkLeaseNamespace()
    this.server = await startProbeServer(this.opts.metricsAddr, this.metrics.registry, () => this.synced())
    this.metrics.leader.set({ identity: this.identity }, 0)
    for (const informer of this.informers.values()) informer.start()
    this.election = this.elector.run(this.stopping.signal, {
      onStartedLeading: (signal) => {
        this.metrics.leader.set({ identity: this.identity }, 1)
        this.term = this.startTerm(signal)
      },
      onStoppedLeading: async () => {
        this.metrics.leader.set({ identity: this.identity }, 0)
        await this.endTerm()
      },
    })
    this.log.info({ metrics: this.server.url, lease: `${this.opts.leaseNamespace}/${this.opts.leaseName}`, controllers: this.specs.map((s) => s.name) }, 'runner started')
    return { metricsUrl: this.server.url }
  }

  /** Stops controllers (waiting for in-flight reconciles), releases the Lease if leading, stops the rest. */
  async stop(): Promise<void> {
    this.stopping.abort()
    await this.election
    await Promise.all([...this.informers.values()].map((i) => i.stop()))
    await this.server?.close()
    this.closeTransports()
  }

  private cache<T extends KubeObject>(type: ResourceType): Cache<T> {
    const key = typeKey(type)
    let informer = this.informers.get(key)
    if (!informer) {
      informer = new Informer(this.reader, type, this.clock, this.log)
      this.informers.set(key, informer)
      if (this.election) informer.start()
    }
    return informer as unknown as Cache<T>
  }

  private async startTerm(signal: AbortSignal): Promise<{ controllers: Controller[]; unsubscribe: (() => void)[] }> {
    const term = { controllers: [] as Controller[], unsubscribe: [] as (() => void)[] }
    // A leader reconciles from a full cache only, or it would "fix" objects it has not seen yet.
    while (!this.synced() && !signal.aborted) await sleep(this.clock, 100, signal)
    this.metrics.cachesSynced.set(1)
    if (signal.aborted) return term
    for (const spec of this.specs) {
      const name = spec.name
      const controller = new Controller({ name, reconciler: spec.reconciler, workers: spec.workers ?? 1, clock: this.clock, logger: this.log, metrics: this.metrics, signal })
      const primary = this.informers.get(typeKey(spec.type))!
      term.unsubscribe.push(primary.onChange((obj) => controller.enqueue(requestOf(obj, spec.type))))
      for (const w of spec.watches ?? []) {
        term.unsubscribe.push(this.informers.get(typeKey(w.type))!.onChange((obj) => w.map(obj).forEach((r) => controller.enqueue(r))))
      }
      for (const obj of primary.list()) controller.enqueue(requestOf(obj, spec.type))
      controller.start()
      term.controllers.push(controller)
    }
    for (const task of this.leaderTasks) void this.runLeaderTask(task, signal)
    this.log.info({ controllers: this.specs.map((s) => s.name) }, 'controllers started')
    return term
  }

  private async runLeaderTask(task: { name: string; fn: (signal: AbortSignal) => Promise<void> }, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.clock, { baseMs: 500, maxMs: 30_000, resetAfterMs: Infinity })
    while (!signal.aborted) {
      try {
        await task.fn(signal)
        this.log.info({ task: task.name }, 'leader task done')
        return
      } catch (e) {
        if (signal.aborted) return
        const delay = backoff.next()
        this.log.warn({ task: task.name, err: errorText(e), retryInMs: Math.round(delay) }, 'leader task failed; will retry')
        await sleep(this.clock, delay, signal)
      }
    }
  }

  private async endTerm(): Promise<void> {
    const term = await this.term
    this.term = undefined
    if (!term) return
    term.unsubscribe.forEach((u) => u())
    // In-flight requests were aborted with the term; a reconcile busy with something else gets a grace
    // period, not a veto over shutdown (its writes are refused by the guard from now on anyway).
    const grace = new AbortController()
    const drained = Promise.all(term.controllers.map((c) => c.stop())).then(() => true)
    const done = await Promise.race([drained, sleep(this.clock, STOP_GRACE_MS, grace.signal).then(() => false)])
    grace.abort()
    this.log.info(done ? 'controllers stopped' : 'controllers stopped; some reconciles were still running')
  }

  private async checkLeaseNamespace(): Promise<void> {
    const ns = this.opts.leaseNamespace
    try {
      await this.reader.get(NAMESPACE, ns, undefined, { signal: AbortSignal.timeout(30_000) })
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) {
        throw new ManagerError(`the Lease namespace "${ns}" does not exist: create it (kubectl create namespace ${ns}) or pass --namespace`)
      }
      // 403 (no permission to read namespaces) and the like: the election will tell.
      if (!(e instanceof KubeError)) throw new ManagerError(`cannot reach the apiserver: ${errorText(e)}`)
    }
  }
}

const typeKey = (t: ResourceType) => `${apiVersionOf(t)}/${t.plural}`

function requestOf(obj: KubeObject, type: ResourceType): { name: string; namespace?: string } {
  const name = obj.metadata.name ?? ''
  const namespace = type.namespaced ? obj.metadata.namespace : undefined
  return namespace ? { name, namespace } : { name }
}
