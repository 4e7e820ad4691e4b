import type { Middleware, RequestContext, ResponseContext } from '@kubernetes/client-node'
import { NotLeaderError, type WriteGuard } from './types.ts'

/** Thrown when an update (PUT) is about to go out without the resourceVersion it was based on. */
export class UnconditionalUpdateError extends Error {
  override name = 'UnconditionalUpdateError'
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface Leadership {
  fresh(): boolean
  signal(): AbortSignal
}

/**
 * Stale-write protection: a replica that is no longer leader must not have any write land. Two layers.
 *
 * 1. Freshness, checked immediately before each write is handed to the HTTP library (client-node
 *    middleware `pre`, the last step before `send`): this replica must lead *and* its last successful
 *    renewal must have been sent less than renewDeadline ago. Another replica can take the Lease only
 *    leaseDuration after it last saw it renewed (which was after we sent that renewal), and
 *    leaseDuration > renewDeadline, so while this check passes nobody else can be leading. The check
 *    uses the clock at the moment of sending, not a flag set by a timer: a process that was paused
 *    (SIGSTOP, a long GC, a frozen VM) and resumes mid-reconcile sees the time that passed and refuses,
 *    even before its own renew loop has run and noticed it lost the Lease.
 * 2. Optimistic concurrency for what slips between that check and the bytes reaching the apiserver (a
 *    pause exactly there): every update carries the resourceVersion of the object it was computed from
 *    (enforced here for PUT), so an update based on a read from before the new leader's write gets 409
 *    Conflict instead of overwriting it. Creates are safe by construction (409 AlreadyExists); patches
 *    and deletes that must not race carry `metadata.resourceVersion` / delete preconditions.
 *
 * Every request also gets the leadership term's AbortSignal, so in-flight work is cancelled the moment
 * the term ends, plus a timeout so nothing hangs on an unresponsive apiserver.
 */
export class LeaderWriteGuard implements WriteGuard {
  constructor(
    private readonly leadership: Leadership,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  fresh(): boolean {
    return this.leadership.fresh()
  }

  signal(): AbortSignal {
    return this.leadership.signal()
  }

  async guard<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.check('write')
    return fn(this.leadership.signal())
  }

  /** The client-node middleware that applies the guard to every request of a client. */
  middleware(): Middleware {
    return {
      pre: async (ctx: RequestContext) => {
        const method = ctx.getHttpMethod().toString()
        const timeout = AbortSignal.timeout(this.requestTimeoutMs)
        if (MUTATING.has(method)) {
          if (method === 'PUT') requireResourceVersion(ctx)
          this.check(`${method} ${new URL(ctx.getUrl()).pathname}`)
          ctx.setSignal(AbortSignal.any([this.leadership.signal(), timeout]))
        } else {
          const term = this.leadership.signal()
          ctx.setSignal(term.aborted ? timeout : AbortSignal.any([term, timeout]))
        }
        return ctx
      },
      post: async (res: ResponseContext) => res,
    }
  }

  private check(what: string): void {
    if (!this.leadership.fresh()) throw new NotLeaderError(`not the leader (or leadership not renewed in time): refusing ${what}`)
  }
}

function requireResourceVersion(ctx: RequestContext): void {
  const body = ctx.getBody()
  let rv: unknown
  try {
    rv = typeof body === 'string' ? (JSON.parse(body) as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion : undefined
  } catch {
    rv = undefined
  }
  if (typeof rv !== 'string' || rv === '') {
    throw new UnconditionalUpdateError(`PUT ${new URL(ctx.getUrl()).pathname} without metadata.resourceVersion: updates must be based on a read`)
  }
}
