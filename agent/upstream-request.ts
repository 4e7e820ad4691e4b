import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { ArrivingBody } from './body.ts'

export interface UpstreamReply {
  status: number
  headers: IncomingHttpHeaders
  /** Bytes when the whole answer had arrived by the time it was handed over; a stream otherwise. */
  body: Uint8Array | ReadableStream<Uint8Array>
}

/**
 * One request through undici's handler interface, without its Readable response objects: the reply is
 * handed over one event-loop turn after its head arrives, by when a small answer has usually arrived
 * whole (then it is bytes, sent on without any stream). Otherwise the body is an ArrivingBody's stream,
 * read only as fast as it is consumed. Cancelling the stream, or `signal`, aborts the request.
 */
export function dispatchRequest(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<UpstreamReply> {
  return new Promise<UpstreamReply>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined
    let head: { status: number; headers: IncomingHttpHeaders } | undefined
    const body = new ArrivingBody({
      pause: () => controller?.pause(),
      resume: () => controller?.resume(),
      abort: () => controller?.abort(new Error('the response was cancelled')),
    })
    const onAbort = () => controller?.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    const detach = () => signal.removeEventListener('abort', onAbort)

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c
        if (signal.aborted) onAbort()
      },
      onResponseStart(_c, status, headers) {
        head = { status, headers }
        setImmediate(() => resolve({ ...head!, body: body.takeWhole() ?? body.stream() }))
      },
      onResponseData(_c, chunk) {
        body.push(chunk)
      },
      onResponseEnd() {
        detach()
        body.end()
      },
      onResponseError(_c, error) {
        detach()
        if (!head) return reject(error)
        body.end(error)
      },
    }
    dispatcher.dispatch(options, handler)
  })
}
