// Liveness and stream sync timers. Any received message counts as liveness. The agent pings always,
// with the text 'drover-ping', which a hibernating Durable Object answers without waking. The edge
// pings (PING frames), watches for silence and syncs only while it has open streams, so an idle edge
// has no timers and can sleep; when it wakes for a stream, silence is measured from that moment.
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
  private stopped = false
  private since = 0
  private pingTimer: unknown
  private watchTimer: unknown
  private syncTimer: unknown

  constructor(private readonly host: KeepaliveHost) {}

  /** Starts or stops timers for the current stream count; cheap when nothing changes. */
  update(streams: number): void {
    if (this.stopped) return
    const { clock, limits } = this.host
    const busy = streams > 0
    const live = busy || this.host.role === 'agent'
    if (live !== this.live) {
      this.live = live
      this.clear('pingTimer')
      this.clear('watchTimer')
      if (live) {
        this.since = clock.now()
        if (limits.pingIntervalMs > 0) this.pingTimer = clock.setTimeout(() => this.ping(), limits.pingIntervalMs)
        if (limits.pingTimeoutMs > 0) this.watch()
      }
    }
    if (busy !== this.busy) {
      this.busy = busy
      this.clear('syncTimer')
      if (busy && limits.syncIntervalMs > 0) this.syncTimer = clock.setTimeout(() => this.sync(), limits.syncIntervalMs)
    }
  }

  stop(): void {
    this.stopped = true
    this.live = this.busy = false
    this.clear('pingTimer')
    this.clear('watchTimer')
    this.clear('syncTimer')
  }

  private clear(timer: 'pingTimer' | 'watchTimer' | 'syncTimer'): void {
    if (this[timer] !== undefined) this.host.clock.clearTimeout(this[timer])
    this[timer] = undefined
  }

  private ping(): void {
    this.pingTimer = this.host.clock.setTimeout(() => this.ping(), this.host.limits.pingIntervalMs)
    this.host.ping()
  }

  private sync(): void {
    this.syncTimer = this.host.clock.setTimeout(() => this.sync(), this.host.limits.syncIntervalMs)
    this.host.sync()
  }

  private watch(): void {
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
