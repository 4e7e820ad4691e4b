import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { LeaderElector, LeaseConflictError, validateTimings, type LeaseRecord, type LeaseStore } from './leader-election.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import type { Clock } from './types.ts'

/** The Lease's storage semantics (resourceVersion preconditions), in memory: the elector's own seam. */
class MemoryLease {
  record: LeaseRecord | undefined
  rv = 0
  writes: string[] = []
  /**
   * A view for one replica. `cut()` makes its requests fail, as a partition or a paused process would;
   * `hang()` holds them unanswered, as a slow apiserver does, until the caller gives up (its signal) or
   * `hang(false)`, when the held ones that are still awaited are carried out.
   */
  client(name: string): LeaseStore & { cut(v: boolean): void; hang(v: boolean): void } {
    let down = false
    let slow = false
    const held: (() => void)[] = []
    const check = () => {
      if (down) throw new Error(`${name}: connection refused`)
    }
    const answer = (signal: AbortSignal) =>
      slow
        ? new Promise<void>((resolve, reject) => {
            held.push(resolve)
            signal.addEventListener('abort', () => reject(new Error(`${name}: request aborted`)), { once: true })
          })
        : undefined
    return {
      cut: (v) => (down = v),
      hang: (v) => {
        slow = v
        if (!v) held.splice(0).forEach((go) => go())
      },
      get: async (signal) => {
        await answer(signal)
        check()
        return this.record ? { record: { ...this.record }, resourceVersion: String(this.rv) } : undefined
      },
      create: async (record, signal) => {
        await answer(signal)
        check()
        if (this.record) throw new LeaseConflictError('exists')
        this.record = { ...record }
        this.writes.push(`${name}:create`)
        return String(++this.rv)
      },
      update: async (record, rv, signal) => {
        await answer(signal)
        check()
        if (rv !== String(this.rv)) throw new LeaseConflictError('conflict')
        this.record = { ...record }
        this.writes.push(`${name}:update:${record.holderIdentity}`)
        return String(++this.rv)
      },
    }
  }
}

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }
const quiet = pino({ level: 'silent' })

/** One replica's clock: the shared timers, its wall clock `offsetMs` off, as on a host whose time drifted. */
function skewed(clock: ManualClock, offsetMs: number): Clock {
  return { now: () => clock.now() + offsetMs, setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h) }
}

/** Events are stamped with the true (shared) time; the elector runs on `own`, its replica's clock. */
function candidate(lease: MemoryLease, clock: ManualClock, name: string, own: Clock = clock) {
  const store = lease.client(name)
  const elector = new LeaderElector(store, name, timings, own, quiet, () => 0)
  const events: string[] = []
  const stop = new AbortController()
  const done = elector.run(stop.signal, {
    onStartedLeading: (signal) => {
      events.push(`started@${clock.now()}`)
      signal.addEventListener('abort', () => events.push(`aborted@${clock.now()}`))
    },
    onStoppedLeading: () => void events.push(`stopped@${clock.now()}`),
  })
  return { elector, store, events, stop: () => (stop.abort(), done), done }
}

describe('LeaderElector', () => {
  it('creates a missing Lease, leads, and renews every retry period', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    expect(a.elector.isLeader()).toBe(true)
    expect(a.elector.fresh()).toBe(true)
    expect(lease.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 })
    await clock.advance(6_000)
    expect(lease.writes).toEqual(['a:create', 'a:update:a', 'a:update:a', 'a:update:a'])
    expect(lease.record!.renewTime.getTime()).toBe(6_000)
    await a.stop()
  })

  it('a second candidate waits while the lease is renewed', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    const b = candidate(lease, clock, 'b')
    await clock.advance(60_000)
    expect(a.elector.isLeader()).toBe(true)
    expect(b.elector.isLeader()).toBe(false)
    expect(lease.record!.holderIdentity).toBe('a')
    await Promise.all([a.stop(), b.stop()])
  })

  it('a leader that cannot renew stops at the renew deadline, before another can take the lease', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    const b = candidate(lease, clock, 'b')
    await clock.advance(4_000) // a renewed at 2 s and 4 s; b observed the 4 s record
    const lastRenew = lease.record!.renewTime.getTime()
    expect(lastRenew).toBe(4_000)
    a.store.cut(true)
    await clock.advance(lastRenew + 10_000 - 1 - clock.now())
    expect(a.elector.fresh()).toBe(true)
    await clock.advance(1)
    expect(a.elector.fresh()).toBe(false)
    expect(a.elector.isLeader()).toBe(false)
    expect(a.events).toEqual(['started@0', `aborted@${lastRenew + 10_000}`, `stopped@${lastRenew + 10_000}`])
    expect(b.elector.isLeader()).toBe(false)
    // b saw the last renewal when it polled (at 4 s at the latest) and takes over one lease duration later.
    await clock.advance(lastRenew + 15_000 - clock.now())
    expect(b.elector.isLeader()).toBe(false)
    await clock.advance(1)
    expect(b.elector.isLeader()).toBe(true)
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 })
    expect(b.events[0]).toBe(`started@${lastRenew + 15_001}`)
    // a comes back: it sees b's renewals and stays a follower; its stale view cannot write (409).
    a.store.cut(false)
    await clock.advance(30_000)
    expect(a.elector.isLeader()).toBe(false)
    expect(lease.writes.filter((w) => w.startsWith('a:')).length).toBe(3)
    await Promise.all([a.stop(), b.stop()])
  })

  it('judges expiry by when the record was observed to change, not by the remote renewTime', async () => {
    const clock = new ManualClock(1_000_000)
    const lease = new MemoryLease()
    // A holder whose clock runs an hour behind: its renewTime looks long expired to us.
    const old = new Date(1_000_000 - 3_600_000)
    lease.record = { holderIdentity: 'other', leaseDurationSeconds: 15, acquireTime: old, renewTime: old, leaseTransitions: 0 }
    const b = candidate(lease, clock, 'b')
    await clock.advance(14_000)
    expect(b.elector.isLeader()).toBe(false)
    await clock.advance(2_100)
    expect(b.elector.isLeader()).toBe(true)
    await b.stop()
  })

  it('a leader whose renewals hang (a slow apiserver) stops at the renew deadline; it follows once answered', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    const b = candidate(lease, clock, 'b')
    await clock.advance(4_000)
    const lastRenew = lease.record!.renewTime.getTime()
    expect(lastRenew).toBe(4_000)
    const aWrites = lease.writes.filter((w) => w.startsWith('a:')).length
    a.store.hang(true)
    await clock.advance(lastRenew + 10_000 - 1 - clock.now())
    expect(a.elector.isLeader()).toBe(true)
    // The watchdog ends the term although the renewal in flight never answered.
    await clock.advance(1)
    expect(a.elector.isLeader()).toBe(false)
    expect(a.elector.signal().aborted).toBe(true)
    expect(a.events).toEqual(['started@0', `aborted@${lastRenew + 10_000}`, `stopped@${lastRenew + 10_000}`])
    await clock.advance(lastRenew + 15_000 - clock.now())
    expect(b.elector.isLeader()).toBe(false)
    await clock.advance(1)
    expect(b.elector.isLeader()).toBe(true)
    expect(b.events[0]).toBe(`started@${lastRenew + 15_001}`)
    // The apiserver answers again: a sees b renewing and stays a follower, never having written since.
    a.store.hang(false)
    await clock.advance(30_000)
    expect(a.elector.isLeader()).toBe(false)
    expect(b.elector.isLeader()).toBe(true)
    expect(lease.record!.holderIdentity).toBe('b')
    expect(lease.writes.filter((w) => w.startsWith('a:')).length).toBe(aWrites)
    await Promise.all([a.stop(), b.stop()])
  })

  it('a follower whose clock runs 45 s ahead does not take a lease that is being renewed', async () => {
    const clock = new ManualClock(1_000_000)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    const ahead = skewed(clock, 45_000)
    const b = candidate(lease, clock, 'b', ahead)
    await clock.advance(60_000)
    // By b's clock every renewal it reads is 45 s old, three times the lease duration.
    expect(lease.record!.renewTime.getTime() + 15_000).toBeLessThan(ahead.now())
    expect(a.elector.isLeader()).toBe(true)
    expect(b.elector.isLeader()).toBe(false)
    expect(lease.writes.some((w) => w.startsWith('b:'))).toBe(false)
    // It is a working candidate: once the renewals stop for a lease duration, it takes over.
    a.store.cut(true)
    await clock.advance(20_000)
    expect(b.elector.isLeader()).toBe(true)
    expect(lease.record!.holderIdentity).toBe('b')
    await Promise.all([a.stop(), b.stop()])
  })

  it('a leader whose clock runs 45 s behind keeps its lease', async () => {
    const clock = new ManualClock(1_000_000)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a', skewed(clock, -45_000))
    await clock.advance(0)
    const b = candidate(lease, clock, 'b')
    await clock.advance(60_000)
    // The renewTime a writes reads as long expired by b's (true) clock.
    expect(lease.record!.renewTime.getTime() + 15_000).toBeLessThan(clock.now())
    expect(a.elector.isLeader()).toBe(true)
    expect(a.elector.fresh()).toBe(true)
    expect(a.events).toEqual(['started@1000000'])
    expect(b.elector.isLeader()).toBe(false)
    expect(lease.record!.holderIdentity).toBe('a')
    expect(lease.writes.some((w) => w.startsWith('b:'))).toBe(false)
    await Promise.all([a.stop(), b.stop()])
  })

  it('releases the lease on shutdown so the next replica takes over at once', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    const b = candidate(lease, clock, 'b')
    await clock.advance(3_000)
    await a.stop()
    expect(lease.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 })
    expect(a.events.at(-1)).toMatch(/^stopped@/)
    await clock.advance(2_200)
    expect(b.elector.isLeader()).toBe(true)
    await b.stop()
  })

  it('loses leadership when its renewal finds the lease held by someone else', async () => {
    const clock = new ManualClock(0)
    const lease = new MemoryLease()
    const a = candidate(lease, clock, 'a')
    await clock.advance(0)
    lease.record = { ...lease.record!, holderIdentity: 'intruder' }
    lease.rv++
    await clock.advance(2_000)
    expect(a.elector.isLeader()).toBe(false)
    expect(a.events).toEqual(['started@0', 'aborted@2000', 'stopped@2000'])
    await a.stop()
  })

  it('validates timings like client-go', () => {
    expect(() => validateTimings(timings)).not.toThrow()
    expect(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(/lease duration/)
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 })).toThrow(/1.2/)
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })).toThrow(/retry period/)
  })
})
