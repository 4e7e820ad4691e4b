// Wrong current passwords per user, in this process: after MAX_FAILURES within WINDOW_MS the user's
// password changes are refused until the window passes. Bounded; one replica's view (the edge's login
// throttle is the shared one).
const MAX_FAILURES = 5
const WINDOW_MS = 5 * 60_000
const MAX_USERS = 10_000

export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  blocked(key: string): boolean {
    const f = this.failures.get(key)
    if (!f) return false
    if (this.now() - f.since >= WINDOW_MS) {
      this.failures.delete(key)
      return false
    }
    return f.count >= MAX_FAILURES
  }

  failed(key: string): void {
    const f = this.failures.get(key)
    if (f && this.now() - f.since < WINDOW_MS) f.count++
    else {
      if (this.failures.size >= MAX_USERS) this.failures.delete(this.failures.keys().next().value!)
      this.failures.set(key, { count: 1, since: this.now() })
    }
  }

  succeeded(key: string): void {
    this.failures.delete(key)
  }
}
