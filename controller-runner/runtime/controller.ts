import type { Logger } from 'pino'
import { errorText } from '../../node/log.ts'
import type { ControllerMetrics, Outcome } from './metrics.ts'
import { WorkQueue } from './queue.ts'
import { TerminalError, type Clock, type Reconciler, type Request, type Result } from './types.ts'

export function requestKey(req: Request): string {
  return req.namespace ? `${req.namespace}/${req.name}` : req.name
}

export function parseKey(key: string): Request {
  const slash = key.indexOf('/')
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

/**
 * The one place a reconcile's outcome becomes queue actions (controller-runtime's switch):
 * ok → forget the key's backoff; requeueAfter → forget, come back after that long; TerminalError →
 * forget (retrying cannot help; it is logged and counted); any other error → rate-limited retry.
 */
export function settle(queue: WorkQueue, key: string, outcome: { result?: Result | void; error?: unknown }): Outcome {
  if (outcome.error === undefined) {
    queue.forget(key)
    const after = outcome.result?.requeueAfter
    if (after !== undefined && after > 0) {
      queue.addAfter(key, after)
      return 'requeue_after'
    }
    return 'success'
  }
  if (outcome.error instanceof TerminalError) {
    queue.forget(key)
    return 'terminal'
  }
  queue.addRateLimited(key)
  return 'error'
}

export interface ControllerOptions {
  name: string
  reconciler: Reconciler
  workers: number
  clock: Clock
  logger: Logger
  metrics: ControllerMetrics
  /** The leadership term: when it aborts, workers stop taking keys and errors are not retried. */
  signal: AbortSignal
}

/** N workers pulling keys from one queue into `reconcile`; lives for one leadership term. */
export class Controller {
  readonly queue: WorkQueue
  private workers: Promise<void>[] = []

  constructor(private readonly opts: ControllerOptions) {
    this.queue = new WorkQueue(opts.clock)
    opts.signal.addEventListener('abort', () => this.queue.shutDown(), { once: true })
  }

  enqueue(req: Request): void {
    this.queue.add(requestKey(req))
    this.opts.metrics.queueDepth(this.opts.name, this.queue.len())
  }

  start(): void {
    for (let i = 0; i < Math.max(1, this.opts.workers); i++) this.workers.push(this.work())
  }

  /** Shuts the queue down and waits for in-flight reconciles (their requests abort with the term). */
  async stop(): Promise<void> {
    this.queue.shutDown()
    await Promise.all(this.workers)
  }

  private async work(): Promise<void> {
    const { name, reconciler, clock, logger, metrics, signal } = this.opts
    for (;;) {
      const key = await this.queue.get()
      metrics.queueDepth(name, this.queue.len())
      if (key === undefined) return
      const started = clock.now()
      let outcome: { result?: Result | void; error?: unknown }
      try {
        outcome = { result: await reconciler.reconcile(parseKey(key)) }
      } catch (error) {
        outcome = { error: error ?? new Error('reconcile threw undefined') }
      }
      try {
        if (signal.aborted) {
          // The term ended while this ran: its failure is the lost leadership, not the object's.
          if (outcome.error !== undefined) logger.info({ controller: name, key, err: errorText(outcome.error) }, 'reconcile ended by lost leadership')
          continue
        }
        const result = settle(this.queue, key, outcome)
        metrics.reconciled(name, result, (clock.now() - started) / 1000)
        if (result === 'terminal') logger.error({ controller: name, key, err: errorText(outcome.error) }, 'reconcile failed permanently; not retrying')
        else if (result === 'error') logger.warn({ controller: name, key, err: errorText(outcome.error), retries: this.queue.retries(key) }, 'reconcile failed; will retry')
        else logger.debug({ controller: name, key, result }, 'reconciled')
      } finally {
        this.queue.done(key)
      }
    }
  }
}
