import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A program's own Prometheus registry (never prom-client's global one, so two programs in one process —
 * tests — do not collide), with Node's process metrics (CPU, memory, event-loop lag, handles) under
 * `prefix`, e.g. `drover_runner_`. The program registers its own metrics in it.
 */
export function processRegistry(prefix: string): Registry {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*_$/.test(prefix)) throw new RangeError(`metric prefix must be a metric name ending in "_", not "${prefix}"`)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix })
  return registry
}
