// A tunnelled WebSocket on either side of a stream. Messages go out as WS_MESSAGE frames within the
// stream's credit, split into fragments when credit or frame size demands; received fragments are
// reassembled (up to maxMessageBytes) and delivered in order from a microtask, never from inside
// `receive`. Credit goes back to the peer after `onmessage` returns.
import { TunnelError } from './errors.ts'
import { HEADER_BYTES } from './frame.ts'
import { maxMessageBytes, sendBufferLimit } from './limits.ts'
import { ByteQueue, Queue } from './queue.ts'
import { WS_MESSAGE_COST, type SocketSink, type Stream } from './stream.ts'
import type { TunnelSocket } from './types.ts'

interface Outgoing {
  data: Uint8Array
  text: boolean
  offset: number
}
type Incoming = { data: string | Uint8Array; cost: number } | { code: number; reason: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** The close code reported when the stream or session failed rather than closing cleanly. */
export const ABNORMAL_CLOSE = 1011

export class StreamSocket implements TunnelSocket, SocketSink {
  #out = new Queue<Outgoing>()
  #outBytes = 0
  #outCharge = 0
  #closeOut: { code: number; reason: string } | null = null
  #in = new Queue<Incoming>()
  #partial: { text: boolean; bytes: ByteQueue } | null = null
  #open = false
  /** No more sends: close() called, the peer closed, the upgrade was refused, or the stream failed. */
  #closing = false
  #closeQueued = false
  #scheduled = false
  #onmessage: ((data: string | Uint8Array) => void) | undefined
  #onclose: ((code: number, reason: string) => void) | undefined

  constructor(private readonly stream: Stream) {
    stream.socket = this
    stream.onCredit = () => this.#flush()
    stream.onFail((e) => this.#failed(e))
  }

  get bufferedAmount(): number {
    return this.#outBytes
  }

  get onmessage(): ((data: string | Uint8Array) => void) | undefined {
    return this.#onmessage
  }

  set onmessage(fn: ((data: string | Uint8Array) => void) | undefined) {
    this.#onmessage = fn
    this.#schedule()
  }

  get onclose(): ((code: number, reason: string) => void) | undefined {
    return this.#onclose
  }

  set onclose(fn: ((code: number, reason: string) => void) | undefined) {
    this.#onclose = fn
    this.#schedule()
  }

  send(data: string | Uint8Array): void {
    const s = this.stream
    if (this.#closing || s.error) throw s.error ?? new TunnelError('CANCELLED', 'the tunnelled WebSocket is closed')
    const text = typeof data === 'string'
    const bytes = text ? encoder.encode(data) : data
    const limits = s.host.limits
    if (bytes.byteLength > maxMessageBytes(limits)) {
      throw new TunnelError('MESSAGE_TOO_LARGE', `a message of ${bytes.byteLength} bytes exceeds ${maxMessageBytes(limits)}`)
    }
    const charge = bytes.byteLength + WS_MESSAGE_COST
    if (this.#outCharge + charge > sendBufferLimit(limits) || !s.host.reserveSend(charge)) {
      const e = new TunnelError('BUFFER_FULL', `${this.#outBytes} bytes already wait for credit; the sender must heed bufferedAmount`)
      s.fail(e, true)
      throw e
    }
    this.#outCharge += charge
    this.#outBytes += bytes.byteLength
    const item: Outgoing = { data: bytes, text, offset: 0 }
    this.#out.push(item)
    this.#flush()
    // Keep no view of the caller's memory past this call (it may reuse its buffer, as with WebSocket.send).
    if (!text && item.offset < bytes.byteLength) {
      item.data = bytes.slice(item.offset)
      item.offset = 0
    }
  }

  close(code = 1000, reason = ''): void {
    if (this.#closing) return
    this.#closing = true
    if (this.stream.error) return
    this.#closeOut = { code, reason }
    this.#flush()
  }

  /** Agent: the 101 went out; queued messages may flow. Edge: the 101 arrived. */
  open(): void {
    this.#open = true
    this.#flush()
  }

  /** Agent: the handler refused the upgrade; the socket never opens and reports nothing. */
  refuse(): void {
    this.#closing = true
    this.#closeQueued = true
    this.#dropOutgoing()
  }

  receiveMessage(data: Uint8Array, text: boolean, more: boolean): void {
    const s = this.stream
    const n = data.byteLength
    if (this.#closing) {
      // Like a closing WebSocket: late messages are dropped, but their credit still goes back.
      this.#dropPartial()
      return s.consumed(n + WS_MESSAGE_COST)
    }
    const p = this.#partial ?? { text, bytes: new ByteQueue() }
    if (p.text !== text) return s.reset('PROTOCOL_ERROR', 'a message continued with a different text flag')
    p.bytes.push(data)
    const max = maxMessageBytes(s.host.limits)
    if (p.bytes.bytes > max) return s.reset('MESSAGE_TOO_LARGE', `a message exceeds ${max} bytes`)
    if (more) {
      this.#partial = p
      s.reassembling += n
      return s.consumed(WS_MESSAGE_COST)
    }
    this.#partial = null
    s.reassembling -= p.bytes.bytes - n
    const bytes = p.bytes.take()
    this.#in.push({ data: text ? decoder.decode(bytes) : bytes, cost: bytes.byteLength + WS_MESSAGE_COST })
    this.#schedule()
  }

  receiveClose(code: number, reason: string): void {
    this.#dropPartial()
    if (!this.#closeQueued) this.#in.push({ code, reason })
    this.#closeQueued = true
    this.#closing = true
    this.#dropOutgoing()
    // Echo the peer's close unless ours is already out (a pending close of ours goes now instead).
    const ours = this.#closeOut
    this.stream.sendWsClose(ours?.code ?? code, ours?.reason ?? reason)
    this.#schedule()
  }

  #failed(e: TunnelError): void {
    const s = this.stream
    this.#closing = true
    this.#dropOutgoing()
    this.#partial = null
    this.#in.drain()
    s.reassembling = 0
    s.consumed(s.buffered)
    if (this.#closeQueued) return
    this.#closeQueued = true
    this.#in.push({ code: ABNORMAL_CLOSE, reason: `${e.code}: ${e.message}` })
    this.#schedule()
  }

  #flush(): void {
    const s = this.stream
    if (!this.#open || s.error || s.sentEnd) return
    const max = s.host.limits.maxFrameBytes - HEADER_BYTES - 1
    for (let m = this.#out.peek(); m; m = this.#out.peek()) {
      const remaining = m.data.byteLength - m.offset
      const room = s.sendCredit - WS_MESSAGE_COST
      if (room < Math.min(1, remaining)) return
      const n = Math.min(remaining, room, max)
      s.sendWsMessage(m.data.subarray(m.offset, m.offset + n), m.text, n < remaining)
      m.offset += n
      this.#outBytes -= n
      if (n === remaining) {
        this.#out.shift()
        this.#release(m.data.byteLength + WS_MESSAGE_COST)
      }
    }
    if (this.#closeOut) s.sendWsClose(this.#closeOut.code, this.#closeOut.reason)
  }

  #release(charge: number): void {
    this.#outCharge -= charge
    this.stream.host.reserveSend(-charge)
  }

  #dropOutgoing(): void {
    this.#out.drain()
    this.#outBytes = 0
    if (this.#outCharge) this.#release(this.#outCharge)
  }

  #dropPartial(): void {
    const p = this.#partial
    if (!p) return
    this.#partial = null
    this.stream.reassembling -= p.bytes.bytes
    this.stream.consumed(p.bytes.clear())
  }

  #schedule(): void {
    if (this.#scheduled || this.#in.length === 0) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      this.#drain()
    })
  }

  #drain(): void {
    for (let e = this.#in.peek(); e; e = this.#in.peek()) {
      if ('cost' in e) {
        const fn = this.#onmessage
        if (!fn) return
        this.#in.shift()
        try {
          fn(e.data)
        } catch {
          // The consumer's failure is its own; the tunnel keeps going.
        }
        this.stream.consumed(e.cost)
      } else {
        const fn = this.#onclose
        if (!fn) return
        this.#in.shift()
        try {
          fn(e.code, e.reason)
        } catch {
          // As above.
        }
      }
    }
  }
}
