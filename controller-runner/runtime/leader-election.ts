import type { Logger } from 'pino'
import { errorText } from '../../node/log.ts'
import type { Clock } from './types.ts'

/** What a coordination.k8s.io/v1 Lease says about who leads (its spec, in our units). */
export interface LeaseRecord {
  holderIdentity: string
  leaseDurationSeconds: number
  acquireTime: Date
  renewTime: Date
  leaseTransitions: number
}

/**
 * The Lease, as the elector needs it. Every write is conditional: `update` sends the resourceVersion it
 * was given and fails with LeaseConflictError when the Lease changed since (HTTP 409).
 */
export interface LeaseStore {
  /** `undefined` when the Lease does not exist. */
  get(signal: AbortSignal): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined>
  create(record: LeaseRecord, signal: AbortSignal): Promise<string>
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<string>
}

export class LeaseConflictError extends Error {
  override name = 'LeaseConflictError'
}

export interface LeaderElectionTimings {
  leaseDurationMs: number
  renewDeadlineMs: number
  retryPeriodMs: number
}

export const defaultTimings: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }

/** client-go's checks: the lease must outlast the renew deadline, which must allow more than one retry. */
export function validateTimings(t: LeaderElectionTimings): void {
  if (!(t.retryPeriodMs > 0)) throw new RangeError('retry period must be greater than zero')
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) throw new RangeError('lease duration must be greater than the renew deadline')
  if (!(t.renewDeadlineMs > t.retryPeriodMs * 1.2)) throw new RangeError('renew deadline must be greater than 1.2 × the retry period')
}

export interface LeadershipCallbacks {
  /** A term begins; `signal` aborts when it ends (lost, or shutting down). */
  onStartedLeading(signal: AbortSignal): void
  /** The term ended; awaited before the elector releases the Lease or campaigns again. */
  onStoppedLeading(): Promise<void> | void
  onNewLeader?(identity: string): void
}

/**
 * Lease-based leader election with client-go's semantics.
 *
 * - Expiry is judged by *observed* time: a candidate notes its own clock when it last saw the record
 *   change and treats the lease as held until `observedAt + leaseDuration`. Remote renewTime is never
 *   compared with the local clock, so clock skew between replicas does not matter.
 * - The leader renews every retryPeriod. If no renewal succeeded within renewDeadline of the last good
 *   one (measured from when that renewal was *sent*), it stops leading — aborting the term's signal —
 *   at `sent + renewDeadline`, while any other candidate can take over only after
 *   `observed ≥ sent` + leaseDuration. leaseDuration > renewDeadline is that safety margin.
 * - Candidates poll every retryPeriod (with 10% jitter rather than client-go's 120%, and wake at the
 *   observed expiry when that comes sooner) so takeover lands within leaseDuration + one poll.
 * - On shutdown a leader releases the Lease (empty holder, leaseDurationSeconds 1) so the next replica
 *   takes over at once.
 */
export class LeaderElector {
  private observed: LeaseRecord | undefined
  private observedAt = 0
  private observedRv = ''
  private leading = false
  private lastRenewSentAt = -Infinity
  private term: AbortController | undefined
  private leaderSeen = ''
  /** Set when a term ends by shutdown while still fresh: only then is the Lease given back. */
  private releasable = false
  private lastFailureWarn = -Infinity

  constructor(
    private readonly store: LeaseStore,
    private readonly identity: string,
    private readonly timings: LeaderElectionTimings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    validateTimings(timings)
  }

  isLeader(): boolean {
    return this.leading
  }

  /** Leading, and the last successful renewal was sent less than renewDeadline ago. */
  fresh(): boolean {
    return this.leading && this.clock.now() - this.lastRenewSentAt < this.timings.renewDeadlineMs
  }

  /** The current term's signal; an aborted one when not leading. */
  signal(): AbortSignal {
    return this.term?.signal ?? AbortSignal.abort()
  }

  /** Campaigns, leads, and campaigns again after a lost term, until `stop` aborts; then releases. */
  async run(stop: AbortSignal, callbacks: LeadershipCallbacks): Promise<void> {
    while (!stop.aborted) {
      if (!(await this.acquire(stop, callbacks))) break
      await this.lead(stop, callbacks)
    }
    await this.release()
  }

  private async acquire(stop: AbortSignal, callbacks: LeadershipCallbacks): Promise<boolean> {
    this.logger.info({ identity: this.identity }, 'attempting to acquire the leader lease')
    while (!stop.aborted) {
      const sentAt = this.clock.now()
      if (await this.tryAcquireOrRenew(stop)) {
        this.lastRenewSentAt = sentAt
        return true
      }
      this.noteLeader(callbacks)
      await sleep(this.clock, this.nextCampaignDelay(), stop)
    }
    return false
  }

  private nextCampaignDelay(): number {
    const poll = this.timings.retryPeriodMs * (1 + 0.1 * this.random())
    const o = this.observed
    if (!o?.holderIdentity) return poll
    const untilExpiry = this.observedAt + o.leaseDurationSeconds * 1000 - this.clock.now() + 1
    return Math.max(1, Math.min(poll, untilExpiry))
  }

  private async lead(stop: AbortSignal, callbacks: LeadershipCallbacks): Promise<void> {
    this.leading = true
    const term = (this.term = new AbortController())
    this.noteLeader(callbacks)
    this.logger.info({ identity: this.identity }, 'became leader')
    const lose = (reason: string) => {
      if (term.signal.aborted) return
      if (reason !== 'shutting down') this.logger.warn({ identity: this.identity, reason }, 'lost leadership: stopping controllers')
      this.leading = false
      term.abort(new Error(reason))
    }
    // The watchdog stops the term at the deadline even when a renewal request hangs.
    let watchdog: unknown
    const arm = () => {
      this.clock.clearTimeout(watchdog)
      const left = this.lastRenewSentAt + this.timings.renewDeadlineMs - this.clock.now()
      watchdog = this.clock.setTimeout(() => (this.fresh() ? arm() : lose('renew deadline passed')), Math.max(0, left))
    }
    arm()
    const onStop = () => lose('shutting down')
    stop.addEventListener('abort', onStop)
    callbacks.onStartedLeading(term.signal)
    try {
      while (!term.signal.aborted) {
        await sleep(this.clock, this.timings.retryPeriodMs, term.signal)
        if (term.signal.aborted) break
        if (!this.fresh()) {
          lose('renew deadline passed')
          break
        }
        const sentAt = this.clock.now()
        const ok = await this.tryAcquireOrRenew(term.signal)
        if (ok && !term.signal.aborted) {
          this.lastRenewSentAt = sentAt
          arm()
        } else if (this.observed && this.observed.holderIdentity !== this.identity) {
          lose(`lease taken by ${this.observed.holderIdentity || 'nobody'}`)
        }
      }
    } finally {
      this.clock.clearTimeout(watchdog)
      stop.removeEventListener('abort', onStop)
      this.leading = false
      this.releasable = stop.aborted && this.clock.now() - this.lastRenewSentAt < this.timings.renewDeadlineMs
      await callbacks.onStoppedLeading()
    }
  }

  /** client-go's ReleaseOnCancel: only a leader that was still fresh when stopped gives the lease back. */
  private async release(): Promise<void> {
    if (!this.releasable || !this.observed) return
    this.releasable = false
    const now = new Date(this.clock.now())
    const record: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.observed.leaseTransitions }
    try {
      await this.store.update(record, this.observedRv, AbortSignal.timeout(this.timings.retryPeriodMs))
      this.logger.info({ identity: this.identity }, 'released the leader lease')
    } catch (e) {
      this.logger.warn({ identity: this.identity, err: errorText(e) }, 'could not release the leader lease')
    }
  }

  /** One round of client-go's tryAcquireOrRenew. Never throws: any failure is `false`. */
  private async tryAcquireOrRenew(outer: AbortSignal): Promise<boolean> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.timings.retryPeriodMs)])
    const now = new Date(this.clock.now())
    const mine = (prev?: LeaseRecord): LeaseRecord => ({
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: prev?.holderIdentity === this.identity ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: prev ? (prev.holderIdentity === this.identity ? prev.leaseTransitions : prev.leaseTransitions + 1) : 0,
    })
    try {
      const current = await this.store.get(signal)
      if (!current) {
        const record = mine()
        this.observe(record, await this.store.create(record, signal))
        return true
      }
      if (!this.observed || !sameRecord(current.record, this.observed)) {
        this.observed = current.record
        this.observedAt = this.clock.now()
        this.observedRv = current.resourceVersion
      }
      const held = current.record.holderIdentity !== '' && current.record.holderIdentity !== this.identity
      if (held && this.observedAt + current.record.leaseDurationSeconds * 1000 > this.clock.now()) return false
      const record = mine(current.record)
      this.observe(record, await this.store.update(record, current.resourceVersion, signal))
      return true
    } catch (e) {
      if (!(e instanceof LeaseConflictError) && !outer.aborted) {
        // Every retry period while the apiserver is away: warn once per 30 s, the rest at debug.
        const now = this.clock.now()
        const level = now - this.lastFailureWarn >= 30_000 ? 'warn' : 'debug'
        if (level === 'warn') this.lastFailureWarn = now
        this.logger[level]({ err: errorText(e) }, 'lease request failed')
      }
      return false
    }
  }

  private observe(record: LeaseRecord, resourceVersion: string): void {
    this.observed = record
    this.observedAt = this.clock.now()
    this.observedRv = resourceVersion
  }

  private noteLeader(callbacks: LeadershipCallbacks): void {
    const holder = this.observed?.holderIdentity ?? ''
    if (holder && holder !== this.leaderSeen) {
      this.leaderSeen = holder
      if (holder !== this.identity) this.logger.info({ leader: holder }, 'new leader observed')
      callbacks.onNewLeader?.(holder)
    }
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions &&
    a.renewTime.getTime() === b.renewTime.getTime() &&
    a.acquireTime.getTime() === b.acquireTime.getTime()
  )
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clock.clearTimeout(handle)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const handle = clock.setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
