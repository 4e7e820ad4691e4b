// Liveness and stream sync timers. Any received message counts as liveness. The agent pings always,
// with the text 'drover-ping', which a hibernating Durable Object answers without waking. The edge
// pings (PING frames), watches for silence and syncs only while it has open streams, so an idle edge
// has no timers and can sleep; when it wakes for a stream, silence is measured from that moment.
// The edge clears its timers the moment its last stream ends: a Durable Object with a timer pending
// cannot hibernate, and timers left to expire on their own kept every object of a large fleet resident
// for up to the ping timeout after each request (bench:scale P6). Setting and clearing a few timers per
// request costs far less than that.
import type { Clock } from './clock.ts'
import type { Limits } from './limits.ts'

export const PING_TEXT = 'drover-ping'
export const PONG_TEXT = 'drover-pong'

export interface KeepaliveHost {
  readonly role: 'edge' | 'agent'
  readonly limits: Limits
  readonly clock: Clock
  lastReceivedAt(): number
  ping(): void
  sync(): void
  timedOut(): void
}

export class Keepalive {
  private live = false
  private busy = false
  /** The ping and silence timers run (they stop themselves once not live). */
  private running = false
  private stopped = false
  private since = 0
  private pingTimer: unknown
  private watchTimer: unknown
  private syncTimer: unknown

  constructor(private readonly host: KeepaliveHost) {}

  /** Starts timers for the current stream count; no timer calls at all when they already run. */
  update(streams: number): void {
    if (this.stopped) return
    const { clock, limits } = this.host
    this.busy = streams > 0
    this.live = this.busy || this.host.role === 'agent'
    if (!this.live) {
      if (this.running) this.rest()
      this.clear('syncTimer')
      return
    }
    if (this.live && !this.running) {
      this.running = true
      this.since = clock.now()
      if (limits.pingIntervalMs > 0) this.pingTimer = clock.setTimeout(() => this.ping(), limits.pingIntervalMs)
      if (limits.pingTimeoutMs > 0) this.watch()
    }
    if (this.busy && this.syncTimer === undefined && limits.syncIntervalMs > 0) {
      this.syncTimer = clock.setTimeout(() => this.sync(), limits.syncIntervalMs)
    }
  }

  stop(): void {
    this.stopped = true
    this.live = this.busy = this.running = false
    this.clear('pingTimer')
    this.clear('watchTimer')
    this.clear('syncTimer')
  }

  private clear(timer: 'pingTimer' | 'watchTimer' | 'syncTimer'): void {
    if (this[timer] !== undefined) this.host.clock.clearTimeout(this[timer])
    this[timer] = undefined
  }

  /** Nothing to watch any more: the ping and silence timers end. */
  private rest(): void {
    this.running = false
    this.clear('pingTimer')
    this.clear('watchTimer')
  }

  private ping(): void {
    this.pingTimer = undefined
    if (!this.live) return this.rest()
    this.pingTimer = this.host.clock.setTimeout(() => this.ping(), this.host.limits.pingIntervalMs)
    this.host.ping()
  }

  private sync(): void {
    this.syncTimer = undefined
    if (!this.busy) return
    this.syncTimer = this.host.clock.setTimeout(() => this.sync(), this.host.limits.syncIntervalMs)
    this.host.sync()
  }

  private watch(): void {
    this.watchTimer = undefined
    if (!this.live) return this.rest()
    const { clock, limits } = this.host
    const wait = Math.max(this.host.lastReceivedAt(), this.since) + limits.pingTimeoutMs - clock.now()
    if (wait > 0) {
      this.watchTimer = clock.setTimeout(() => this.watch(), wait)
      return
    }
    this.watchTimer = undefined
    this.host.timedOut()
  }
}
