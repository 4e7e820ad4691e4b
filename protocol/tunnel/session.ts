// One tunnel session over one WebSocket. Feed it every message with `receive`; it never throws. The
// edge opens streams with `fetch`/`upgrade`; the agent serves them through its StreamHandler.
import { acceptRequest } from './agent.ts'
import { systemClock, type Clock } from './clock.ts'
import { SessionCore, type FlushScheduler, type TunnelCounters } from './core.ts'
import { onData, onEnd, onReset, onResponseHead, onWindow, onWsClose, onWsMessage } from './dispatch.ts'
import { edgeFetch, edgeUpgrade, type FetchResult, type UpgradeResult } from './edge.ts'
import { closeCodeFor, TunnelError, type ErrorCode } from './errors.ts'
import {
  decodeFrame,
  factsFrame,
  FrameType,
  goawayFrame,
  helloFrame,
  pingFrame,
  pongFrame,
  reasonBytes,
  resetFrame,
  type Frame,
} from './frame.ts'
import { Keepalive, PING_TEXT, PONG_TEXT } from './keepalive.ts'
import { resolveLimits, type Limits } from './limits.ts'
import { parseFacts, parseHello } from './parse.ts'
import { applySync, sendSync } from './sync.ts'
import { FEATURE_BATCH, type ClusterFacts, type Hello, type RequestHead, type StreamHandler, type Transport } from './types.ts'

export interface TunnelSessionOptions {
  role: 'edge' | 'agent'
  transport: Transport
  clock?: Clock
  limits?: Partial<Limits>
  /** Required for role 'agent'. */
  handler?: StreamHandler
  /** Edge: the agent's hello arrived. */
  onHello?: (hello: Hello) => void
  /** Edge: the agent reported facts. */
  onFacts?: (facts: ClusterFacts) => void
  /** The session ended (either side, timeout, protocol error); called once. */
  onClose?: (error: TunnelError) => void
  /**
   * Edge, resuming on a socket whose earlier session object is gone (Durable Object hibernation): the
   * first stream id to use (odd, above every id used before on this socket; see `nextStreamId`), and
   * the hello already received.
   */
  firstStreamId?: number
  hello?: Hello
  /**
   * How to schedule the sending of batched frames (several frames in one WebSocket message). Agent: given
   * only when the edge accepts BATCH (its 101 listed the feature). Edge: used once the agent's hello
   * lists the feature.
   */
  batch?: FlushScheduler
}

const acceptsBatch = (hello: Hello | undefined): boolean => hello?.features?.includes(FEATURE_BATCH) === true

const reasonText = (reason: string): string => new TextDecoder().decode(reasonBytes(reason))

export class TunnelSession {
  readonly #core: SessionCore
  readonly #keepalive: Keepalive
  readonly #clock: Clock
  readonly #opts: TunnelSessionOptions
  #hello: Hello | undefined
  #lastReceivedAt: number
  #pings = 0

  constructor(opts: TunnelSessionOptions) {
    if (opts.role === 'agent' && !opts.handler) throw new TypeError('an agent session needs a handler')
    const limits = resolveLimits(opts.limits)
    this.#opts = opts
    this.#clock = opts.clock ?? systemClock
    this.#hello = opts.hello
    this.#lastReceivedAt = this.#clock.now()
    this.#core = new SessionCore(
      opts.role,
      limits,
      opts.transport,
      {
        streamsChanged: (n) => this.#streamsChanged(n),
        writeFailed: (e) => this.#shutdown(new TunnelError('SESSION_CLOSED', 'the tunnel WebSocket failed', { cause: e }), false),
      },
      opts.firstStreamId,
    )
    this.#keepalive = new Keepalive({
      role: opts.role,
      limits,
      clock: this.#clock,
      lastReceivedAt: () => this.#lastReceivedAt,
      ping: () => this.#ping(),
      sync: () => sendSync(this.#core),
      timedOut: () => this.close('PING_TIMEOUT', `nothing received for ${limits.pingTimeoutMs} ms`),
    })
    this.#keepalive.update(0)
    if (opts.batch && (opts.role === 'agent' || acceptsBatch(opts.hello))) this.#core.batchWith(opts.batch)
  }

  get closed(): boolean {
    return this.#core.closed
  }

  get streamCount(): number {
    return this.#core.streams.size
  }

  get lastReceivedAt(): number {
    return this.#lastReceivedAt
  }

  get hello(): Hello | undefined {
    return this.#hello
  }

  /** Edge: the id the next stream gets; persist it to resume after hibernation (`firstStreamId`). */
  get nextStreamId(): number {
    return this.#core.nextStreamId
  }

  /** Messages, frames and bytes this session has sent and received so far (live; do not modify). */
  get counters(): Readonly<TunnelCounters> {
    return this.#core.counters
  }

  /** Received bytes not yet taken by their consumers, across all streams. */
  get bufferedBytes(): number {
    return this.#core.bufferedBytes
  }

  receive(message: ArrayBuffer | Uint8Array | string): void {
    if (this.#core.closed) return
    this.#lastReceivedAt = this.#clock.now()
    const counters = this.#core.counters
    counters.messagesReceived++
    counters.bytesReceived += typeof message === 'string' ? message.length : message.byteLength
    try {
      if (typeof message === 'string') {
        counters.framesReceived++
        return this.#text(message)
      }
      this.#binary(message instanceof Uint8Array ? message : new Uint8Array(message))
    } catch (e) {
      this.close('INTERNAL', `failed on a received message: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  /** One frame, or a BATCH of them (whose frames the decoder has checked are not BATCHes themselves). */
  #binary(bytes: Uint8Array): void {
    const result = decodeFrame(bytes, this.#core.limits)
    if (result.ok) {
      if (result.frame.type !== FrameType.BATCH) {
        this.#core.counters.framesReceived++
        return this.#dispatch(result.frame)
      }
      for (const inner of result.frame.frames) {
        if (this.#core.closed) return
        this.#binary(inner)
      }
      return
    }
    const { code, message: why, streamId, type } = result.error
    if (streamId === 0) return this.close(code, why)
    // A head that failed validation still used up its id.
    if (type === FrameType.REQUEST_HEAD && this.#opts.role === 'agent' && streamId > this.#core.lastPeerId) this.#core.lastPeerId = streamId
    const open = this.#core.streams.get(streamId)
    if (open) open.reset(code, why)
    else this.#core.write(resetFrame(streamId, code, why))
  }

  sendHello(hello: Hello): void {
    this.#agentOnly('sendHello')
    this.#core.write(helloFrame(parseHello(hello)))
  }

  sendFacts(facts: ClusterFacts): void {
    this.#agentOnly('sendFacts')
    this.#core.write(factsFrame(parseFacts(facts)))
  }

  fetch(head: RequestHead, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): Promise<FetchResult> {
    return edgeFetch(this.#core, head, body, signal)
  }

  upgrade(head: RequestHead, signal?: AbortSignal): Promise<UpgradeResult> {
    return edgeUpgrade(this.#core, head, signal)
  }

  close(code: ErrorCode, reason: string): void {
    this.#shutdown(new TunnelError(code, reason), true)
  }

  #dispatch(f: Frame): void {
    const core = this.#core
    switch (f.type) {
      case FrameType.HELLO: return this.#onHello(f.hello)
      case FrameType.FACTS: return this.#onFacts(f.facts)
      case FrameType.REQUEST_HEAD: return acceptRequest(core, f, this.#opts.handler)
      case FrameType.RESPONSE_HEAD: return onResponseHead(core, f)
      case FrameType.DATA: return onData(core, f)
      case FrameType.END: return onEnd(core, f)
      case FrameType.RESET: return onReset(core, f)
      case FrameType.WINDOW: return onWindow(core, f)
      case FrameType.WS_MESSAGE: return onWsMessage(core, f)
      case FrameType.WS_CLOSE: return onWsClose(core, f)
      case FrameType.PING: return core.write(pongFrame(f.data))
      case FrameType.PONG: return
      case FrameType.SYNC: return applySync(core, f)
      case FrameType.GOAWAY: return this.#shutdown(new TunnelError(f.code, f.reason || `the peer ended the session (${f.code})`), false)
      case FrameType.BATCH: return // unpacked by #binary
    }
  }

  #text(message: string): void {
    if (message === PING_TEXT) return this.#core.write(PONG_TEXT)
    if (message !== PONG_TEXT) this.close('PROTOCOL_ERROR', 'unexpected text message')
  }

  #onHello(hello: Hello): void {
    if (!this.#edgeOnly('HELLO')) return
    this.#hello = hello
    if (this.#opts.batch && acceptsBatch(hello)) this.#core.batchWith(this.#opts.batch)
    this.#opts.onHello?.(hello)
  }

  #onFacts(facts: ClusterFacts): void {
    if (this.#edgeOnly('FACTS')) this.#opts.onFacts?.(facts)
  }

  #ping(): void {
    if (this.#opts.role === 'agent') return this.#core.write(PING_TEXT)
    const data = new Uint8Array(8)
    new DataView(data.buffer).setUint32(4, ++this.#pings)
    this.#core.write(pingFrame(data))
  }

  #streamsChanged(count: number): void {
    this.#keepalive.update(count)
    if (count === 0 && this.#core.idsExhausted) this.close('SESSION_CLOSED', 'the session used up its stream ids')
  }

  #agentOnly(what: string): void {
    if (this.#opts.role !== 'agent') throw new TypeError(`${what} is for the agent side`)
  }

  #edgeOnly(type: string): boolean {
    if (this.#opts.role === 'edge') return true
    this.close('PROTOCOL_ERROR', `${type} is only sent to the edge`)
    return false
  }

  /** Ends the session: every open stream fails with `error` at once, timers stop, the socket closes. */
  #shutdown(error: TunnelError, goaway: boolean): void {
    const core = this.#core
    if (core.closed) return
    // Frames waiting for a batch go first: they were written before the goodbye.
    core.flush()
    core.closed = true
    try {
      if (goaway) this.#opts.transport.send(goawayFrame(error.code, error.message))
    } catch {
      // The socket is already gone; closing is all that is left.
    }
    this.#keepalive.stop()
    for (const stream of [...core.streams.values()]) stream.fail(error, false)
    core.streams.clear()
    try {
      this.#opts.transport.close(closeCodeFor(error.code), reasonText(error.message))
    } catch {
      // Already closed.
    }
    try {
      this.#opts.onClose?.(error)
    } catch {
      // The host's callback must not break the shutdown.
    }
  }
}
