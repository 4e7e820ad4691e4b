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

  reconciled(controller: string, outcome: Outcome, seconds: number): void {
    this.total.inc({ controller, result: outcome })
    if (outcome === 'error' || outcome === 'terminal') this.errors.inc({ controller })
    this.duration.observe({ controller }, seconds)
  }

  queueDepth(controller: string, depth: number): void {
    this.depth.set({ controller }, depth)
  }
}
