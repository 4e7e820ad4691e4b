import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

/** Bytes held from a response before its socket is paused; the tunnel's window does the rest. */
export const RESPONSE_HIGH_WATER = 256 * 1024

export interface UpstreamReply {
  status: number
  headers: IncomingHttpHeaders
  /** Bytes when the whole answer had arrived by the time it was handed over; a stream otherwise. */
  body: Uint8Array | ReadableStream<Uint8Array>
}

/**
 * One request through undici's handler interface, without its Readable response objects: the reply is
 * handed over one event-loop turn after its head arrives, by when a small answer has usually arrived
 * whole (then it is bytes, sent on without any stream). Otherwise the body is a web stream that reads
 * only as fast as it is consumed: at most RESPONSE_HIGH_WATER bytes wait before the socket is paused,
 * and what has arrived by a pull is handed on as one chunk (large DATA frames rather than one per TLS
 * record). Cancelling the stream, or `signal`, aborts the request.
 */
export function dispatchRequest(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<UpstreamReply> {
  return new Promise<UpstreamReply>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined
    let head: { status: number; headers: IncomingHttpHeaders } | undefined
    let chunks: Buffer[] = []
    let bytes = 0
    let ended = false
    let failure: Error | undefined
    let waiting: (() => void) | undefined
    let wakeScheduled = false

    const onAbort = () => controller?.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    const detach = () => signal.removeEventListener('abort', onAbort)
    // Wakes a waiting pull one turn later, when the rest of what the socket had is in too.
    const wake = () => {
      if (!waiting || wakeScheduled) return
      wakeScheduled = true
      setImmediate(() => {
        wakeScheduled = false
        const w = waiting
        waiting = undefined
        w?.()
      })
    }
    const take = (): Buffer => {
      const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)
      chunks = []
      bytes = 0
      return out
    }
    const handOver = () => {
      if (ended && !failure) {
        const whole = take()
        return resolve({ ...head!, body: new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength) })
      }
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(c) {
            while (chunks.length === 0 && !ended && !failure) {
              // Waiting is set before resuming: resume() may deliver data at once.
              const arrived = new Promise<void>((r) => (waiting = r))
              controller?.resume()
              await arrived
            }
            if (failure) return c.error(failure)
            if (chunks.length === 0) return c.close()
            const out = take()
            c.enqueue(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
            if (!ended) controller?.resume()
          },
          cancel() {
            chunks = []
            if (!ended && !failure) controller?.abort(new Error('the response was cancelled'))
          },
        },
        { highWaterMark: 0 },
      )
      resolve({ ...head!, body })
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c
        if (signal.aborted) onAbort()
      },
      onResponseStart(_c, status, headers) {
        head = { status, headers }
        setImmediate(handOver)
      },
      onResponseData(c, chunk) {
        chunks.push(chunk)
        bytes += chunk.byteLength
        if (bytes >= RESPONSE_HIGH_WATER) c.pause()
        wake()
      },
      onResponseEnd() {
        ended = true
        detach()
        wake()
      },
      onResponseError(_c, error) {
        failure = error
        detach()
        if (!head) return reject(error)
        wake()
      },
    }
    dispatcher.dispatch(options, handler)
  })
}
