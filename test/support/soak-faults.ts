// bench:soak's injected faults (issue 16): links cut on a schedule through Toxiproxy, each cut kept as a
// window on its link — from the cut until the link's agent has a tunnel session again, plus a settling
// margin — so every failed operation can be told apart: injected (it overlapped a window on its own link)
// or not (anything else, which the soak's goal says must not happen).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Link } from './soak-stack.ts'
import type { Result } from './soak-traffic.ts'

/** `down`: the proxy disabled (connections closed, new ones refused); `reset`: every byte the agent sends resets its connection. */
export type FlapKind = 'down' | 'reset'

export interface FaultWindow {
  cluster: string
  kind: FlapKind
  start: number
  /** When the link's agent was connected again plus SETTLE_MS; undefined while it is not. */
  end?: number
}

/** How long a cut lasts. */
const CUT_MS: Record<FlapKind, number> = { down: 15_000, reset: 6_000 }
/** After the agent is back: the edge learns of the new session and old requests drain. */
const SETTLE_MS = 5_000
/** The agent's reconnect backoff is capped at 30 s (agent/dialer.ts): a full wait plus slack. */
const RECONNECT_BOUND_MS = 90_000

export class Faults {
  readonly windows: FaultWindow[] = []
  /** Links that did not come back within the bound after a cut: a failure of the soak of its own. */
  readonly stuck: string[] = []
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly log: (s: string) => void) {}

  /** Cuts `link` for a while, then restores it and waits (in the background) until its agent is back. */
  flap(link: Link, kind: FlapKind): void {
    const w: FaultWindow = { cluster: link.cluster, kind, start: Date.now() }
    this.windows.push(w)
    const p = (async () => {
      if (kind === 'down') await link.proxy.setEnabled(false)
      const toxic = kind === 'reset' ? await link.proxy.add({ type: 'reset_peer', attributes: { timeout: 0 } }, 'upstream', 'soak_reset') : undefined
      await sleep(CUT_MS[kind])
      if (toxic) await link.proxy.remove(toxic)
      else await link.proxy.setEnabled(true)
      const restored = Date.now()
      // A session that survived a short cut would say connected at once: wait for the cut to be seen first.
      await sleep(1_000)
      while (!link.connected() && Date.now() - restored < RECONNECT_BOUND_MS) await sleep(250)
      if (!link.connected()) {
        this.stuck.push(link.cluster)
        this.log(`link ${link.cluster} not back ${RECONNECT_BOUND_MS / 1000} s after the ${kind} cut ended`)
      } else if (link.real) this.log(`real link back ${((Date.now() - restored) / 1000).toFixed(1)} s after the ${kind} cut ended`)
      w.end = Date.now() + SETTLE_MS
    })()
    this.pending.add(p)
    void p.finally(() => this.pending.delete(p))
  }

  /** Waits for every cut to be restored and its settling margin to pass. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending])
    const last = Math.max(0, ...this.windows.map((w) => w.end ?? 0))
    await sleep(Math.max(0, last - Date.now()))
  }

  /** Whether a result's span overlapped a cut on its own link. */
  injected(r: Result): boolean {
    return this.windows.some((w) => w.cluster === r.cluster && r.start <= (w.end ?? Infinity) && r.end >= w.start)
  }
}

/**
 * The flap schedule: every `everyMs` (the first after half of it), the real link and `sims` simulated ones
 * in turn, cut down and reset alternately, until `until`.
 */
export async function flapSchedule(faults: Faults, links: Link[], opts: { everyMs: number; sims: number; until: number; log: (s: string) => void }): Promise<number> {
  const [real, ...sims] = links
  let next = 0
  let round = 0
  await sleep(Math.min(opts.everyMs / 2, Math.max(0, opts.until - Date.now())))
  for (; round < 100_000 && Date.now() < opts.until; round++) {
    const kind: FlapKind = round % 2 === 0 ? 'down' : 'reset'
    const picked = [real!, ...Array.from({ length: Math.min(opts.sims, sims.length) }, () => sims[next++ % sims.length]!)]
    opts.log(`flap ${round + 1} (${kind}): ${picked.map((l) => l.cluster).join(', ')}`)
    for (const l of picked) faults.flap(l, kind)
    await sleep(Math.min(opts.everyMs, Math.max(0, opts.until - Date.now())))
  }
  return round
}
