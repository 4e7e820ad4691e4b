// Whether the agent's own kube-apiserver is ready, by its `/readyz`. A connected agent whose apiserver
// cannot serve (etcd down, the apiserver shutting down) must not look like a healthy cluster: the state is
// reported in the cluster facts (and from there in the Cluster's Ready condition), and while it is "not
// ready" tunnelled requests are answered at once with a 503 instead of waiting on an apiserver that would
// hold them until its own request timeout.
import type { Logger } from 'pino'
import { KUBE_ORIGIN, type Transport } from '../protocol/kube/index.ts'
import { MAX_API_SERVER_MESSAGE, type ApiServerFacts, type Clock } from '../protocol/tunnel/index.ts'
import { errorText } from '../node/log.ts'

/** One probe: the state, or undefined when `/readyz` gave no verdict (it refused the agent, or is absent). */
export type Probe = () => Promise<ApiServerFacts | undefined>

/**
 * A probe gets this long. Without etcd, /readyz answers only once its etcd checks have given up, each
 * after 2 s (--etcd-healthcheck-timeout, --etcd-readycheck-timeout): seen taking over 4 s in all.
 */
export const PROBE_TIMEOUT_MS = 8_000
export const PROBE_INTERVAL_MS = 5_000

/** `GET /readyz?verbose` with the agent's credential (RBAC's system:public-info-viewer allows it to anyone). */
export function readyzProbe(transport: Transport, timeoutMs = PROBE_TIMEOUT_MS): Probe {
  return async () => {
    let res: Response
    try {
      res = await transport(new Request(`${KUBE_ORIGIN}/readyz?verbose`, { signal: AbortSignal.timeout(timeoutMs) }))
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')
      return { ready: false, message: timedOut ? `/readyz did not answer within ${timeoutMs / 1000} s` : `/readyz unreachable: ${errorText(e)}` }
    }
    // Read under the same deadline: a body that stalls counts as no answer.
    const body = await res.text().catch(() => '')
    if (res.ok) return { ready: true }
    if (res.status < 500) return undefined
    return { ready: false, message: readyzMessage(res.status, body) }
  }
}

/** `/readyz` answered 5xx: name its failing checks (`[-]etcd failed: reason withheld`), or else its status. */
export function readyzMessage(status: number, body: string): string {
  const failed = [...body.matchAll(/^\[-\]([^\s:]+) failed/gm)].map((m) => m[1]!)
  const text = failed.length > 0 ? `/readyz: ${failed.join(', ')} failed` : `/readyz answered ${status}`
  return text.length > MAX_API_SERVER_MESSAGE ? `${text.slice(0, MAX_API_SERVER_MESSAGE - 1)}…` : text
}

export interface ApiServerHealthOptions {
  probe: Probe
  clock: Clock
  logger: Logger
  intervalMs?: number
}

/**
 * Probes every `intervalMs`, and at once when told a request failed (`suspect`); one probe at a time.
 * Subscribers hear each change of state: the facts reporter (facts go out on change rather than at its
 * next poll) and reads waiting on the apiserver (apiserver-gate.ts).
 */
export class ApiServerHealth {
  private readonly listeners = new Set<() => void>()
  private current?: ApiServerFacts
  private timer: unknown
  private probing = false
  private again = false
  private confirming = false
  private stopped = true

  constructor(private readonly o: ApiServerHealthOptions) {}

  get state(): ApiServerFacts | undefined {
    return this.current
  }

  /** True only on a verdict of "not ready": without one, requests pass as before. */
  get unready(): boolean {
    return this.current?.ready === false
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => void this.listeners.delete(fn)
  }

  start(): void {
    this.stopped = false
    if (this.probing) this.again = true
    else void this.run()
  }

  stop(): void {
    this.stopped = true
    this.o.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** A request to the apiserver failed: probe now rather than at the next period. */
  suspect(): void {
    if (this.stopped) return
    if (this.probing) {
      this.again = true
      return
    }
    this.o.clock.clearTimeout(this.timer)
    void this.run()
  }

  private async run(): Promise<void> {
    this.probing = true
    let next: ApiServerFacts | undefined
    try {
      next = await this.o.probe()
    } catch (e) {
      next = { ready: false, message: `/readyz probe failed: ${errorText(e)}` }
    }
    this.probing = false
    if (this.stopped) return
    // Turning unready fails every request at once (apiserver-gate.ts): a single slow or failed probe on a
    // loaded machine must not do that, so the verdict is taken only when the next probe, sent at once, agrees.
    if (next?.ready === false && !this.unready && !this.confirming) {
      this.confirming = true
      return void this.run()
    }
    this.confirming = false
    if (JSON.stringify(next) !== JSON.stringify(this.current)) {
      const level = next?.ready === false ? 'warn' : 'info'
      this.o.logger[level]({ apiServer: next }, next?.ready === false ? 'the kube-apiserver is not ready' : 'the kube-apiserver is ready')
      this.current = next
      for (const fn of [...this.listeners]) fn()
    }
    if (this.again) {
      this.again = false
      return void this.run()
    }
    this.timer = this.o.clock.setTimeout(() => void this.run(), this.o.intervalMs ?? PROBE_INTERVAL_MS)
  }
}
