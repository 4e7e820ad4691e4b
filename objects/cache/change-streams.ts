// Live change streams for `/v1/subscribe`: each subscriber of a type gets its changes as newline-
// delimited JSON on a byte stream the worker reads (through RPC). The worker holds the client's socket
// and decides, per change, what the caller may see; this object only fans out what it stored. A resume
// replays the change log from the asked revision in the same turn it joins the live fan-out, so nothing
// is missed or repeated between the two.
//
// Lines: {"change": {kind, revision, id, namespace, object, cells}} with object and cells as stored
// (raw JSON), {"tooOld": {oldest}} (then the stream ends: the client must re-list), or
// {"stopped": {reason}} (a subscriber that fell MAX_QUEUED_BYTES behind is cut off, as Steve drops slow
// consumers, rather than buffered without bound).
import type { Change } from './type-index.ts'

/** A subscriber may fall this far behind before it is cut off. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024
/** A resume replays at most this many changes (and MAX_QUEUED_BYTES); a longer gap is answered "too old" (a re-list is cheaper). */
export const MAX_REPLAY = 10_000

const encoder = new TextEncoder()

export function changeLine(c: Change): string {
  // `object` and `cells` are JSON already: embedded as they are, not encoded twice.
  return `{"change":{"kind":${JSON.stringify(c.kind)},"revision":${JSON.stringify(c.revision)},"id":${JSON.stringify(c.id)},"namespace":${JSON.stringify(c.namespace ?? null)},"object":${c.object},"cells":${c.cells ?? 'null'}}}\n`
}

interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>
  queued: () => number
}

export type Backlog = { kind: 'changes'; changes: Change[] } | { kind: 'too-old'; oldest: string }

export class ChangeStreams {
  private readonly byType = new Map<string, Set<Subscriber>>()

  /** Subscribers of `typeKey` now (tests, status). */
  count(typeKey: string): number {
    return this.byType.get(typeKey)?.size ?? 0
  }

  /**
   * A stream of `typeKey`'s changes from now on, preceded by `backlog()` when resuming. `backlog` runs in
   * the same turn the subscriber joins, so no change falls between the replay and the live ones.
   */
  open(typeKey: string, backlog?: () => Backlog): ReadableStream<Uint8Array> {
    let sub: Subscriber | undefined
    const leave = () => {
      if (!sub) return
      const set = this.byType.get(typeKey)
      set?.delete(sub)
      if (set?.size === 0) this.byType.delete(typeKey)
      sub = undefined
    }
    const strategy = new ByteLengthQueuingStrategy({ highWaterMark: MAX_QUEUED_BYTES })
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const replay = backlog?.()
          const lines = replay?.kind === 'changes' ? replay.changes.map((c) => encoder.encode(changeLine(c))) : []
          // A replay larger than a subscriber may fall behind is answered as one too old: a re-list is
          // cheaper than holding it, and the object's memory stays bounded.
          const bytes = lines.reduce((n, l) => n + l.length, 0)
          if (replay?.kind === 'too-old' || bytes > MAX_QUEUED_BYTES) {
            const oldest = replay?.kind === 'too-old' ? replay.oldest : (replay?.changes.at(-1)?.revision ?? '')
            controller.enqueue(encoder.encode(`{"tooOld":{"oldest":${JSON.stringify(oldest)}}}\n`))
            controller.close()
            return
          }
          for (const line of lines) controller.enqueue(line)
          sub = { controller, queued: () => MAX_QUEUED_BYTES - (controller.desiredSize ?? 0) }
          let set = this.byType.get(typeKey)
          if (!set) this.byType.set(typeKey, (set = new Set()))
          set.add(sub)
        },
        cancel: leave,
      },
      strategy,
    )
  }

  /** A stored change, to every subscriber of its type; one that fell too far behind is cut off. */
  publish(typeKey: string, change: Change): void {
    const set = this.byType.get(typeKey)
    if (!set) return
    const bytes = encoder.encode(changeLine(change))
    for (const sub of [...set]) {
      if (sub.queued() + bytes.length > MAX_QUEUED_BYTES) {
        set.delete(sub)
        try {
          sub.controller.enqueue(encoder.encode(`{"stopped":{"reason":"the subscriber fell ${MAX_QUEUED_BYTES} bytes behind"}}\n`))
          sub.controller.close()
        } catch {
          /* already cancelled */
        }
        continue
      }
      sub.controller.enqueue(bytes)
    }
    if (set.size === 0) this.byType.delete(typeKey)
  }

  /** Ends every stream (the object is going away): readers see the end and re-subscribe. */
  closeAll(): void {
    for (const set of this.byType.values()) {
      for (const sub of set) {
        try {
          sub.controller.close()
        } catch {
          /* already cancelled */
        }
      }
    }
    this.byType.clear()
  }
}
