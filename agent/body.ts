import type { Readable } from 'node:stream'
import { finished } from 'node:stream'

/** Bytes held from a response before its socket is paused; the tunnel's window does the rest. */
const RESPONSE_HIGH_WATER = 256 * 1024

/**
 * A web stream over an apiserver response that reads only as fast as it is consumed: at most
 * RESPONSE_HIGH_WATER bytes wait (then the socket is paused until the next pull). What has arrived by a
 * pull is handed on as one chunk, so a large response leaves in large DATA frames instead of one per TLS
 * record (16 KiB); a pull with nothing waiting is answered one event-loop turn after data arrives, by when
 * the rest of that read has come in too. Cancelling the stream destroys the response.
 */
export function responseBody(res: Readable): ReadableStream<Uint8Array> {
  let chunks: Buffer[] = []
  let bytes = 0
  let done = false
  let failure: Error | undefined
  let waiting: (() => void) | undefined
  let scheduled = false
  const wake = () => {
    scheduled = false
    const w = waiting
    waiting = undefined
    w?.()
  }
  res.on('data', (chunk: Buffer) => {
    if (done) return
    chunks.push(chunk)
    bytes += chunk.byteLength
    if (bytes >= RESPONSE_HIGH_WATER) res.pause()
    if (waiting && !scheduled) {
      scheduled = true
      setImmediate(wake)
    }
  })
  finished(res, (err) => {
    if (done) return
    done = true
    failure = err ?? undefined
    wake()
  })
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (chunks.length === 0 && !done) {
          res.resume()
          await new Promise<void>((resolve) => (waiting = resolve))
        }
        if (failure) return controller.error(failure)
        if (chunks.length === 0) return controller.close()
        const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)
        chunks = []
        bytes = 0
        controller.enqueue(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
        if (!done) res.resume()
      },
      cancel() {
        done = true
        chunks = []
        res.destroy()
      },
    },
    { highWaterMark: 0 },
  )
}
