import type { Readable } from 'node:stream'
import { finished } from 'node:stream'

/** Bytes held from a response before its socket is paused; the tunnel's window does the rest. */
export const RESPONSE_HIGH_WATER = 256 * 1024

/** How an ArrivingBody slows, restarts or drops the response it reads. */
export interface Flow {
  pause(): void
  resume(): void
  abort(): void
}

/**
 * A response body as it arrives from its socket, read only as fast as it is consumed: at most
 * RESPONSE_HIGH_WATER bytes wait (then the flow is paused until the next pull). What has arrived by a pull
 * is handed on as one chunk, so a large response leaves in large DATA frames instead of one per TLS record
 * (16 KiB); a pull with nothing waiting is answered one event-loop turn after data arrives, by when the
 * rest of that read has come in too. Cancelling the stream aborts the flow.
 */
export class ArrivingBody {
  #chunks: Buffer[] = []
  #bytes = 0
  #ended = false
  #failure: Error | undefined
  #cancelled = false
  #waiting: (() => void) | undefined
  #wakeScheduled = false

  constructor(private readonly flow: Flow) {}

  push(chunk: Buffer): void {
    if (this.#cancelled) return
    this.#chunks.push(chunk)
    this.#bytes += chunk.byteLength
    if (this.#bytes >= RESPONSE_HIGH_WATER) this.flow.pause()
    if (!this.#waiting || this.#wakeScheduled) return
    this.#wakeScheduled = true
    setImmediate(() => {
      this.#wakeScheduled = false
      this.#wake()
    })
  }

  /** The response is over: complete, or failed with `error`. */
  end(error?: Error): void {
    if (this.#ended || this.#failure) return
    if (error) this.#failure = error
    else this.#ended = true
    this.#wake()
  }

  /** All of it as one array when it has all arrived and nothing has read it yet; null otherwise. */
  takeWhole(): Uint8Array | null {
    return this.#ended && !this.#failure ? this.#take() : null
  }

  /** The body as a web stream, pulled as described above. */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          while (this.#chunks.length === 0 && !this.#ended && !this.#failure) {
            // Waiting is set before resuming: a resume may deliver data at once.
            const arrived = new Promise<void>((resolve) => (this.#waiting = resolve))
            this.flow.resume()
            await arrived
          }
          if (this.#failure) return c.error(this.#failure)
          if (this.#chunks.length === 0) return c.close()
          c.enqueue(this.#take())
          if (!this.#ended) this.flow.resume()
        },
        cancel: () => {
          this.#cancelled = true
          this.#chunks = []
          if (!this.#ended && !this.#failure) this.flow.abort()
        },
      },
      { highWaterMark: 0 },
    )
  }

  #take(): Uint8Array {
    const out = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#bytes)
    this.#chunks = []
    this.#bytes = 0
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }

  #wake(): void {
    const w = this.#waiting
    this.#waiting = undefined
    w?.()
  }
}

/** A web stream over a node:http response (the refusals of WebSocket upgrades), as an ArrivingBody. */
export function responseBody(res: Readable): ReadableStream<Uint8Array> {
  const body = new ArrivingBody({ pause: () => res.pause(), resume: () => res.resume(), abort: () => res.destroy() })
  res.on('data', (chunk: Buffer) => body.push(chunk))
  finished(res, (err) => body.end(err ?? undefined))
  return body.stream()
}
