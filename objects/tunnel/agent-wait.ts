/**
 * Requests that arrive while a cluster that was connected has no agent session — the edge restarted or
 * deployed and its agents are dialling back, or one reconnected after a blip — wait a little for one,
 * rather than failing at once: during a restart clients see latency, not errors (issue 16, P7 and M26).
 * Bounded in time and in count, so a cluster whose agent is really gone costs a short wait at most (and
 * none once its status says disconnected) and no unbounded memory.
 */
export const AGENT_WAIT_MS = 10_000
/** Requests one object holds at most; beyond that they fail at once. */
export const MAX_WAITING = 256

export class AgentWait {
  private waiters = new Set<(arrived: boolean) => void>()

  constructor(private readonly opts: { waitMs?: number; max?: number } = {}) {}

  get size(): number {
    return this.waiters.size
  }

  /** Resolves true once `arrived()` is called, false after the wait (or at once when too many wait). */
  wait(): Promise<boolean> {
    if (this.waiters.size >= (this.opts.max ?? MAX_WAITING)) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (arrived: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve(arrived)
      }
      const timer = setTimeout(() => done(false), this.opts.waitMs ?? AGENT_WAIT_MS)
      this.waiters.add(done)
    })
  }

  /** An agent session is ready: every waiting request goes on. */
  arrived(): void {
    for (const done of [...this.waiters]) done(true)
  }
}
