// A session's shared state: its streams, id bookkeeping and buffer budgets. The public TunnelSession
// wraps it; edge.ts, agent.ts, dispatch.ts and sync.ts work on it directly.
import { batchFrame } from './frame.ts'
import type { Limits } from './limits.ts'
import type { Stream, StreamHost } from './stream.ts'
import type { Transport } from './types.ts'

export const MAX_STREAM_ID = 0xffffffff

/** Frames up to this size wait for the batch; larger ones (bulk DATA) go out alone, after what waits. */
const BATCH_FRAME_MAX = 64 * 1024
/** A batch is sent once it holds this much, without waiting for the flush. */
const BATCH_BYTES_MAX = 256 * 1024

/** Runs `flush` soon, after the work in hand (Node: setImmediate; workerd: a microtask). */
export type FlushScheduler = (flush: () => void) => void

export interface CoreEvents {
  streamsChanged(count: number): void
  writeFailed(error: unknown): void
}

/** What a session has sent and received: WebSocket messages, the frames in them, and their bytes. */
export interface TunnelCounters {
  messagesSent: number
  framesSent: number
  bytesSent: number
  messagesReceived: number
  framesReceived: number
  bytesReceived: number
}

/** All counters at zero. */
export const noCounters = (): TunnelCounters => ({ messagesSent: 0, framesSent: 0, bytesSent: 0, messagesReceived: 0, framesReceived: 0, bytesReceived: 0 })

export class SessionCore implements StreamHost {
  readonly streams = new Map<number, Stream>()
  readonly counters: TunnelCounters = noCounters()
  closed = false
  /** Agent: the highest stream id the edge has opened so far. */
  lastPeerId = 0
  /** Edge: the id the next stream gets. */
  nextStreamId: number
  private receiveBuffered = 0
  private sendQueued = 0
  /** Window growth of open streams beyond `streamWindow`, summed. */
  private grown = 0
  private starved = new Set<Stream>()
  /** Set once the peer accepts BATCH: small frames then wait for `flush` and leave as one message. */
  private batching?: FlushScheduler
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private flushScheduled = false

  constructor(
    readonly role: 'edge' | 'agent',
    readonly limits: Limits,
    private readonly transport: Transport,
    private readonly events: CoreEvents,
    firstStreamId = 1,
  ) {
    if (!Number.isInteger(firstStreamId) || firstStreamId < 1 || firstStreamId % 2 !== 1 || firstStreamId > MAX_STREAM_ID) {
      throw new RangeError('firstStreamId must be an odd integer in 1..2^32-1')
    }
    this.nextStreamId = firstStreamId
  }

  get bufferedBytes(): number {
    return this.receiveBuffered
  }

  /** Frames written from now on may be batched (the peer accepts BATCH). */
  batchWith(schedule: FlushScheduler): void {
    this.batching = schedule
  }

  write(frame: Uint8Array | string): void {
    if (this.closed) return
    this.counters.framesSent++
    if (!this.batching || typeof frame === 'string' || frame.byteLength > BATCH_FRAME_MAX) {
      this.flush()
      return this.send(frame)
    }
    this.pending.push(frame)
    this.pendingBytes += frame.byteLength
    if (this.pendingBytes >= BATCH_BYTES_MAX) return this.flush()
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.batching(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** Sends what waits for a batch: one frame as itself, more as one BATCH. */
  flush(): void {
    if (this.pending.length === 0) return
    const frames = this.pending
    this.pending = []
    this.pendingBytes = 0
    if (!this.closed) this.send(frames.length === 1 ? frames[0]! : batchFrame(frames))
  }

  private send(message: Uint8Array | string): void {
    this.counters.messagesSent++
    this.counters.bytesSent += typeof message === 'string' ? message.length : message.byteLength
    try {
      this.transport.send(message)
    } catch (e) {
      this.events.writeFailed(e)
    }
  }

  canGrant(): boolean {
    return this.receiveBuffered < this.limits.sessionBufferBytes
  }

  buffered(delta: number): void {
    this.receiveBuffered += delta
    if (delta >= 0 || this.starved.size === 0) return
    for (const s of this.starved) {
      if (!this.canGrant()) return
      this.starved.delete(s)
      s.grant()
    }
  }

  starve(stream: Stream): void {
    this.starved.add(stream)
  }

  reserveGrowth(delta: number): boolean {
    if (delta > 0 && this.grown + delta > this.limits.sessionBufferBytes >> 1) return false
    this.grown += delta
    return true
  }

  reserveSend(delta: number): boolean {
    if (delta > 0 && this.sendQueued + delta > this.limits.sessionBufferBytes) return false
    this.sendQueued += delta
    return true
  }

  add(stream: Stream): void {
    this.streams.set(stream.id, stream)
    this.events.streamsChanged(this.streams.size)
  }

  finished(stream: Stream): void {
    this.starved.delete(stream)
    if (this.streams.get(stream.id) !== stream) return
    this.streams.delete(stream.id)
    this.events.streamsChanged(this.streams.size)
  }

  /** Edge: the next stream id, or undefined once the u32 space is used up. */
  allocateId(): number | undefined {
    if (this.nextStreamId > MAX_STREAM_ID) return undefined
    const id = this.nextStreamId
    this.nextStreamId += 2
    return id
  }

  get idsExhausted(): boolean {
    return this.nextStreamId > MAX_STREAM_ID
  }

  /** An id no stream of this session ever had; frames for other unknown ids belong to closed streams. */
  neverSeen(id: number): boolean {
    if (id % 2 === 0) return true
    return this.role === 'edge' ? id >= this.nextStreamId : id > this.lastPeerId
  }

  /** The highest id both sides may know: what a SYNC from this side covers. */
  get syncUpTo(): number {
    return this.role === 'edge' ? Math.max(0, this.nextStreamId - 2) : this.lastPeerId
  }
}
