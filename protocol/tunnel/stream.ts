// One stream's lifecycle and flow control. Credit works the same in both directions: a sender may send
// DATA and WS_MESSAGE bytes only while it has credit; every stream starts with INITIAL_WINDOW; WINDOW
// frames add to it. The receiver grants credit back as its consumer takes bytes, and only while the
// session's receive buffers are under budget, so one slow reader holds at most its own window.
import { TunnelError, type ErrorCode } from './errors.ts'
import { dataFrame, endFrame, resetFrame, windowFrame, wsCloseFrame, wsMessageFrame } from './frame.ts'
import { INITIAL_WINDOW, type Limits } from './limits.ts'
import type { ResponseHead } from './types.ts'

/** What a WS_MESSAGE fragment costs in credit besides its bytes, so even empty messages are bounded. */
export const WS_MESSAGE_COST = 16
const MAX_CREDIT = 0x7fffffff

/** What a stream needs from its session. */
export interface StreamHost {
  readonly role: 'edge' | 'agent'
  readonly limits: Limits
  write(frame: Uint8Array): void
  /** The session's receive buffers are under `sessionBufferBytes`. */
  canGrant(): boolean
  /** Adds to the session's count of received, unconsumed bytes. */
  buffered(delta: number): void
  /** Ask to have `grant()` called again once the session's buffers have room. */
  starve(stream: Stream): void
  /**
   * Takes `delta` bytes of window growth from the session's allowance (half its buffer budget, so windows
   * grown by readers that later stall can never hold the whole budget); false if it is used up.
   */
  reserveGrowth(delta: number): boolean
  /** Adds to the bytes queued by local senders across the session; false (nothing added) if over budget. */
  reserveSend(delta: number): boolean
  /** The stream is over on the wire: both directions ended, or it was reset. */
  finished(stream: Stream): void
}

/** Where received body bytes go (an HTTP body). */
export interface BodySink {
  push(chunk: Uint8Array): void
  end(): void
}

/** Where received WebSocket frames go. */
export interface SocketSink {
  receiveMessage(data: Uint8Array, text: boolean, more: boolean): void
  receiveClose(code: number, reason: string): void
}

/**
 * http: DATA/END both ways. upgrade: waiting for the answer to an upgrade request. ws: accepted, WS frames
 * both ways. refused: the upgrade got another status; its body flows like http.
 */
export type StreamMode = 'http' | 'upgrade' | 'ws' | 'refused'

export class Stream {
  sendCredit = INITIAL_WINDOW
  sentEnd = false
  gotEnd = false
  error: TunnelError | null = null
  /** Received, not yet consumed, including WS_MESSAGE_COST per undelivered message. */
  buffered = 0
  /** The part of `buffered` in incomplete WS messages: credited early so big messages cannot stall. */
  reassembling = 0
  inbound: BodySink | null = null
  socket: SocketSink | null = null
  /** Edge: receives the RESPONSE_HEAD. */
  onHead: ((head: ResponseHead, end: boolean) => void) | null = null
  onCredit: (() => void) | null = null
  private recvCredit = INITIAL_WINDOW
  /** This stream's receive window: starts at `streamWindow`, grows while the consumer keeps up. */
  private window: number
  private over = false
  private waiters: { resolve: () => void; reject: (e: TunnelError) => void }[] = []
  private failHandlers: ((e: TunnelError) => void)[] = []
  private doneHandlers: (() => void)[] = []

  constructor(
    readonly host: StreamHost,
    readonly id: number,
    public mode: StreamMode,
  ) {
    this.window = host.limits.streamWindow
  }

  /** Runs once if the stream fails (reset either way, session closed, dropped by SYNC). */
  onFail(fn: (e: TunnelError) => void): void {
    if (this.error) fn(this.error)
    else if (!this.over) this.failHandlers.push(fn)
  }

  /** Runs once when the stream leaves its session, however it ended. */
  onDone(fn: () => void): void {
    if (this.over) fn()
    else this.doneHandlers.push(fn)
  }

  // --- receiving

  /** Accounts `cost` received bytes against credit; on a violation resets the stream and returns false. */
  receive(cost: number): boolean {
    if (cost > this.recvCredit) {
      this.reset('FLOW_CONTROL_VIOLATION', `stream ${this.id}: ${cost} bytes sent with ${this.recvCredit} credit`)
      return false
    }
    this.recvCredit -= cost
    this.buffered += cost
    this.host.buffered(cost)
    return true
  }

  /** `n` buffered bytes left the stream: delivered to the consumer, or dropped. */
  consumed(n: number): void {
    if (n === 0) return
    this.buffered -= n
    this.host.buffered(-n)
    this.grant()
  }

  /**
   * Tops the peer's credit back up to the window once a quarter of it is free. When the consumer has
   * taken everything received by then, the window doubles (up to `maxStreamWindow`) before the grant.
   */
  grant(): void {
    if (this.gotEnd || this.error || this.over) return
    const gap = this.window - this.recvCredit - this.buffered + this.reassembling
    if (gap < Math.max(1, this.window >> 2)) return
    if (!this.host.canGrant()) return this.host.starve(this)
    const room = Math.min(this.window, this.host.limits.maxStreamWindow - this.window)
    const growth = this.buffered === 0 && room > 0 && this.host.reserveGrowth(room) ? room : 0
    this.window += growth
    this.recvCredit += gap + growth
    this.host.write(windowFrame(this.id, gap + growth))
  }

  remoteEnd(): void {
    this.gotEnd = true
    this.settle()
  }

  // --- sending

  addCredit(increment: number): void {
    if (this.error) return
    if (this.sendCredit + increment > MAX_CREDIT) return this.reset('FLOW_CONTROL_VIOLATION', 'WINDOW overflows the credit')
    this.sendCredit += increment
    for (const w of this.waiters.splice(0)) w.resolve()
    this.onCredit?.()
  }

  /** Resolves once there is credit; rejects with the stream's error if it fails first. */
  whenCredit(): Promise<void> {
    if (this.error) return Promise.reject(this.error)
    if (this.sendCredit > 0) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  sendData(chunk: Uint8Array): void {
    if (this.error || this.sentEnd) return
    this.sendCredit -= chunk.byteLength
    this.host.write(dataFrame(this.id, chunk))
  }

  sendWsMessage(chunk: Uint8Array, text: boolean, more: boolean): void {
    if (this.error || this.sentEnd) return
    this.sendCredit -= chunk.byteLength + WS_MESSAGE_COST
    this.host.write(wsMessageFrame(this.id, chunk, text, more))
  }

  /** Half-closes this direction: END (or, for `frame` given, the WS_CLOSE) once. */
  end(frame: Uint8Array = endFrame(this.id)): void {
    if (this.error || this.sentEnd) return
    this.sentEnd = true
    this.host.write(frame)
    this.settle()
  }

  sendWsClose(code: number, reason: string): void {
    this.end(wsCloseFrame(this.id, code, reason))
  }

  /** The head carried END: this direction is over without an END frame. */
  endedByHead(): void {
    this.sentEnd = true
    this.settle()
  }

  // --- failing

  /** Fails the stream here and tells the peer with RESET. */
  reset(code: ErrorCode, reason: string): void {
    this.fail(new TunnelError(code, reason), true)
  }

  /** Fails the stream; `notifyPeer` sends RESET (not for a peer's RESET, SYNC drops or session close). */
  fail(error: TunnelError, notifyPeer: boolean): void {
    if (this.error || this.over) return
    this.error = error
    if (notifyPeer) this.host.write(resetFrame(this.id, error.code, error.message))
    for (const w of this.waiters.splice(0)) w.reject(error)
    for (const fn of this.failHandlers.splice(0)) fn(error)
    this.finish()
  }

  private settle(): void {
    if (this.sentEnd && this.gotEnd) this.finish()
  }

  private finish(): void {
    if (this.over) return
    this.over = true
    this.host.reserveGrowth(this.host.limits.streamWindow - this.window)
    this.failHandlers = []
    this.host.finished(this)
    for (const fn of this.doneHandlers.splice(0)) fn()
  }
}
