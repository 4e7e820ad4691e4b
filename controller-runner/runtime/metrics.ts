import { Counter, Gauge, Histogram } from 'prom-client'
import { processRegistry } from '../../node/metrics.ts'

export type Outcome = 'success' | 'requeue_after' | 'error' | 'terminal'

/** What a controller reports; a narrow seam so the controller loop is testable without prom-client. */
export interface ControllerMetrics {
  reconciled(controller: string, outcome: Outcome, seconds: number): void
  queueDepth(controller: string, depth: number): void
}

/**
 * The runner's Prometheus metrics, in a registry of its own (not prom-client's global one), served on
 * `/metrics`. Names follow controller-runtime's where one exists.
 */
export class RunnerMetrics implements ControllerMetrics {
  readonly registry = processRegistry('drover_runner_')
  private readonly total = new Counter({ name: 'drover_runner_reconcile_total', help: 'Reconciles by controller and outcome.', labelNames: ['controller', 'result'], registers: [this.registry] })
  private readonly errors = new Counter({ name: 'drover_runner_reconcile_errors_total', help: 'Reconciles that failed (retried or terminal).', labelNames: ['controller'], registers: [this.registry] })
  private readonly duration = new Histogram({
    name: 'drover_runner_reconcile_duration_seconds',
    help: 'Time per reconcile.',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  private readonly depth = new Gauge({ name: 'drover_runner_queue_depth', help: 'Keys waiting in a controller work queue.', labelNames: ['controller'], registers: [this.registry] })
  /** 1 while this replica leads (and is fresh enough to write), else 0. */
  readonly leader = new Gauge({ name: 'drover_runner_leader', help: 'Whether this replica is the leader.', labelNames: ['identity'], registers: [this.registry] })
  readonly cachesSynced = new Gauge({ name: 'drover_runner_caches_synced', help: 'Whether every informer cache has synced.', registers: [this.registry] })
  private readonly writes = new Counter({
    name: 'drover_runner_writes_total',
    help: 'Writes the management apiserver and downstream clusters accepted, by method and resource.',
    labelNames: ['method', 'resource'],
    registers: [this.registry],
  })

  reconciled(controller: string, outcome: Outcome, seconds: number): void {
    this.total.inc({ controller, result: outcome })
    if (outcome === 'error' || outcome === 'terminal') this.errors.inc({ controller })
    this.duration.observe({ controller }, seconds)
  }

  /** A write the server accepted; `path` is its API path (the resource is its collection and subresource, no names). */
  wrote(method: string, path: string): void {
    this.writes.inc({ method, resource: resourceOf(path) })
  }

  queueDepth(controller: string, depth: number): void {
    this.depth.set({ controller }, depth)
  }
}

/** `/apis/g/v/namespaces/ns/things/name/status?x` → `things/status`; `/api/v1/secrets` → `secrets`. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean)
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3)
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')
  const scoped = rest[0] === 'namespaces' && rest.length > 2 && !namespaceSubresource ? rest.slice(2) : rest
  return scoped.length > 2 ? `${scoped[0]}/${scoped[2]}` : (scoped[0] ?? '')
}
