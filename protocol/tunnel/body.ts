// Bodies in both directions: a received body as a pull-based ReadableStream that hands bytes to its
// consumer only on demand (which is when credit goes back to the peer), and a pump that reads a local
// body only while the stream has credit, so neither side drains a body into memory.
import type { ErrorCode } from './errors.ts'
import { HEADER_BYTES } from './frame.ts'
import { ByteQueue } from './queue.ts'
import type { BodySink, Stream } from './stream.ts'

const noop = (): void => {}

/**
 * A received body. Cancelling it on the edge resets the stream (the client went away); on the agent it
 * only discards what arrives, since the response may still be on its way — the agent resets the stream
 * once its response is complete.
 */
export class InboundBody implements BodySink {
  #stream: ReadableStream<Uint8Array> | undefined
  private queue = new ByteQueue()
  private ended = false
  private failed = false
  private discarding = false
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null
  private wake: (() => void) | null = null

  constructor(private owner: Stream) {
    owner.inbound = this
    owner.onFail((e) => this.fail(e))
  }

  /** The body as a stream; made on first use, so a body taken whole (`takeWhole`) never needs one. */
  get stream(): ReadableStream<Uint8Array> {
    this.#stream ??= new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c
        },
        pull: (c) => this.pull(c),
        cancel: () => this.cancelled(),
      },
      { highWaterMark: 0 },
    )
    return this.#stream
  }

  /**
   * The whole body, if all of it has arrived and it has not been read as a stream: the bytes leave the
   * stream's buffers (their credit is returned) and the stream is not made. Otherwise null.
   */
  takeWhole(): Uint8Array | null {
    if (!this.ended || this.failed || this.discarding || this.#stream) return null
    const n = this.queue.bytes
    const bytes = this.queue.take()
    this.owner.consumed(n)
    return bytes
  }

  push(chunk: Uint8Array): void {
    if (this.discarding) return this.owner.consumed(chunk.byteLength)
    this.queue.push(chunk)
    this.wake?.()
  }

  end(): void {
    this.ended = true
    this.wake?.()
  }

  /** Errors the body unless it already arrived whole (then what is buffered stays readable). */
  private fail(error: Error): void {
    if (this.ended || this.failed) return
    this.failed = true
    this.owner.consumed(this.queue.clear())
    if (!this.discarding) this.controller?.error(error)
    this.wake?.()
  }

  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.failed || this.discarding) return
      const chunk = this.queue.shift()
      if (chunk) {
        c.enqueue(chunk)
        this.owner.consumed(chunk.byteLength)
        return
      }
      if (this.ended) return c.close()
      await new Promise<void>((resolve) => (this.wake = resolve))
      this.wake = null
    }
  }

  private cancelled(): void {
    this.discarding = true
    this.owner.consumed(this.queue.clear())
    if (this.owner.host.role === 'edge') this.owner.reset('CANCELLED', 'the response body was cancelled')
  }
}

/**
 * Sends `source` as DATA frames within the stream's credit, then END. A failing source resets the
 * stream with `failCode`; a failing stream cancels the source.
 */
export async function pumpBody(stream: Stream, source: ReadableStream<Uint8Array>, failCode: ErrorCode): Promise<void> {
  let reader: ReadableStreamDefaultReader<Uint8Array>
  try {
    reader = source.getReader()
  } catch {
    return stream.reset(failCode, 'the body stream is locked')
  }
  stream.onFail((e) => void reader.cancel(e).catch(noop))
  try {
    for (;;) {
      if (stream.sendCredit <= 0) await stream.whenCredit()
      if (stream.error) return
      const { done, value } = await reader.read()
      if (done) break
      if (!(value instanceof Uint8Array)) throw new TypeError('body chunks must be Uint8Array')
      if (!(await sendWithinCredit(stream, value))) return
    }
    stream.end()
  } catch (e) {
    if (stream.error) return
    stream.reset(failCode, `the body failed: ${e instanceof Error ? e.message : String(e)}`)
    reader.cancel(e).catch(noop)
  }
}

/** A whole body (bytes already in hand) as DATA frames within the stream's credit, then END. */
export async function sendBytes(stream: Stream, bytes: Uint8Array): Promise<void> {
  try {
    if (await sendWithinCredit(stream, bytes)) stream.end()
  } catch {
    // Waiting for credit failed: the stream failed, and says so itself.
  }
}

/** `chunk` as DATA frames, each within the credit and the frame size; false once the stream has failed. */
async function sendWithinCredit(stream: Stream, chunk: Uint8Array): Promise<boolean> {
  const max = stream.host.limits.maxFrameBytes - HEADER_BYTES
  for (let rest = chunk; rest.byteLength > 0; ) {
    if (stream.sendCredit <= 0) await stream.whenCredit()
    if (stream.error) return false
    const n = Math.min(rest.byteLength, stream.sendCredit, max)
    stream.sendData(rest.subarray(0, n))
    rest = rest.subarray(n)
  }
  return true
}
