import { pushStatus, retryDelayMs, saysConnected, statusPatch, WAKE_GRACE_MS } from './cluster-status.ts'
import type { TunnelTarget } from './envelope.ts'
import type { TunnelStatus } from './tunnel-hub.ts'

/** What the status alarm needs of its Durable Object (a plain object in tests). */
export interface StatusHost {
  kv: Pick<SyncKvStorage, 'get' | 'put' | 'delete'>
  setAlarm(at: number): void
  /** The watchdog period (cluster-status.ts WATCHDOG_MS unless the operator set another). */
  watchdogMs: number
  /** What the object's live sockets say now. */
  status(): TunnelStatus
  /**
   * Cluster `local`'s tunnel, through which pushes go, where a failed push waits for its agent, and which
   * keeps the list of clusters pushed as connected (to wake them when its agent is back after a restart).
   */
  local(): TunnelTarget & { wakeOnAgent?(clusterId: string): Promise<void>; noteConnected?(clusterId: string, connected: boolean): Promise<void> }
}

// Storage keys (the object's SQLite KV): the last status the management cluster accepted, the one still
// to push, and how many pushes of it failed.
const PUSHED = 'pushedStatus'
const PENDING = 'pendingStatus'
const ATTEMPT = 'pushAttempt'
/** Whether `local` was last told this cluster is pushed as connected ('true' / 'false'). */
const NOTED = 'notedConnected'

/** Agents came or went, or reported new facts: queue the new status and push it at once (from the alarm, so it is retried). */
export function statusChanged(host: StatusHost): void {
  const patch = JSON.stringify(statusPatch(host.status()))
  if (host.kv.get(PUSHED) === patch && !host.kv.get(PENDING)) return
  host.kv.put(PENDING, patch)
  host.kv.put(ATTEMPT, 0)
  host.setAlarm(Date.now())
}

/** Whether the Cluster's status was last pushed as connected (its agents may be dialling back). */
export function pushedConnected(kv: StatusHost['kv']): boolean {
  return saysConnected(kv.get<string>(PUSHED))
}

/**
 * A new instance that finds its Cluster said connected and no socket: check again after a short grace
 * (its agent may be dialling back) rather than at the next watchdog.
 */
export function checkOnWake(host: StatusHost, openSockets: number): void {
  if (openSockets === 0 && saysConnected(host.kv.get<string>(PUSHED))) host.setAlarm(Date.now() + WAKE_GRACE_MS)
}

/**
 * The object's one alarm: the status push and its retries, and the watchdog (the caller first closes
 * sockets gone silent). What the sockets say now is
 * compared with what was pushed first, so a status that went stale while the object was away (its agents
 * died while the runtime was down) is corrected by the next alarm, which an overdue alarm makes immediate.
 */
export async function statusAlarm(host: StatusHost, clusterId: string): Promise<void> {
  const kv = host.kv
  const now = JSON.stringify(statusPatch(host.status()))
  if (now !== (kv.get<string>(PENDING) ?? kv.get<string>(PUSHED))) {
    kv.put(PENDING, now)
    kv.put(ATTEMPT, 0)
  }
  const patch = kv.get<string>(PENDING)
  if (patch) {
    const local = host.local()
    if (!(await pushStatus(local, clusterId, JSON.parse(patch)))) {
      const attempt = Number(kv.get(ATTEMPT) ?? 0)
      kv.put(ATTEMPT, attempt + 1)
      host.setAlarm(Date.now() + retryDelayMs(attempt))
      // Most often `local` has no agent yet (the edge just restarted): be woken the moment it has one,
      // rather than at a retry that may be 30 s away.
      await local.wakeOnAgent?.(clusterId).catch(() => {})
      return
    }
    kv.put(PUSHED, patch)
    if (kv.get(PENDING) === patch) kv.delete(PENDING)
  }
  const connected = saysConnected(kv.get<string>(PUSHED))
  if (kv.get(NOTED) !== String(connected)) {
    // Best effort: a lost 'true' is sent again at the next watchdog; a lost 'false' costs `local` one
    // needless wake of this object at its next sweep.
    const noted = await host.local().noteConnected?.(clusterId, connected).then(() => true, () => false)
    if (noted) kv.put(NOTED, String(connected))
  }
  // A change that came while this alarm ran (facts right after the hello) is pushed now, not at the watchdog.
  if (kv.get(PENDING)) host.setAlarm(Date.now())
  // Spread ±25 %: objects whose agents connected together would otherwise all wake together, for ever.
  else if (connected) host.setAlarm(Date.now() + Math.round(host.watchdogMs * (0.75 + Math.random() / 2)))
}

/** `local` got an agent: the pushes that failed for want of one are retried now. */
export function retryNow(host: StatusHost): void {
  if (!host.kv.get(PENDING)) return
  host.kv.put(ATTEMPT, 0)
  host.setAlarm(Date.now())
}
