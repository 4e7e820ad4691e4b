import type { ClientRequest, IncomingMessage } from 'node:http'
import { finished } from 'node:stream'

/** Bytes the response stream queues before it pauses the socket; the tunnel's window does the rest. */
const RESPONSE_HIGH_WATER = 64 * 1024

/**
 * A web stream over an apiserver response that reads only as fast as it is consumed: the socket is
 * paused once the queue is full and resumed on pull. Cancelling the stream destroys the response.
 */
export function responseBody(res: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          if (settled) return
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) res.pause()
        })
        finished(res, (err) => {
          if (settled) return
          settled = true
          if (err) controller.error(err)
          else controller.close()
        })
        res.pause()
      },
      pull() {
        res.resume()
      },
      cancel() {
        settled = true
        res.destroy()
      },
    },
    { highWaterMark: RESPONSE_HIGH_WATER, size: (chunk) => chunk.byteLength },
  )
}

/**
 * Writes a web stream into an outgoing request, waiting for 'drain' whenever the socket buffer is full,
 * then ends it. A failed read destroys the request so the apiserver never sees a truncated body as
 * complete; a destroyed request cancels the reader.
 */
export async function pumpRequestBody(body: ReadableStream<Uint8Array>, req: ClientRequest): Promise<void> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (req.destroyed) throw new Error('upstream request closed')
      if (!req.write(value)) await drained(req)
    }
    req.end()
  } catch (e) {
    req.destroy(e instanceof Error ? e : new Error(String(e)))
    await reader.cancel(e).catch(() => {})
  } finally {
    reader.releaseLock()
  }
}

function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      req.off('drain', onDrain)
      req.off('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = () => done()
    const onClose = () => done(new Error('upstream request closed'))
    req.on('drain', onDrain)
    req.on('close', onClose)
  })
}
