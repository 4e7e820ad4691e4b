// The edge opens streams: `fetch` for plain requests, `upgrade` for WebSocket upgrades.
import { InboundBody, pumpBody } from './body.ts'
import type { SessionCore } from './core.ts'
import { TunnelError } from './errors.ts'
import { HEADER_BYTES, requestHeadFrame } from './frame.ts'
import { parseRequestHead } from './parse.ts'
import { StreamSocket } from './socket.ts'
import { Stream } from './stream.ts'
import type { RequestHead, ResponseHead, TunnelSocket } from './types.ts'

export interface FetchResult {
  head: ResponseHead
  /** The response body as a stream (made when first read). */
  readonly body: ReadableStream<Uint8Array>
  /**
   * The whole body when all of it has already arrived (a small answer comes in the same message as its
   * head) and `body` has not been touched; null otherwise. Lets the edge answer with bytes, not a stream.
   */
  whole(): Uint8Array | null
}

export interface UpgradeResult {
  head: ResponseHead
  socket: TunnelSocket | null
  body: ReadableStream<Uint8Array> | null
}

/** Validates the head, allocates an id and sends REQUEST_HEAD. Throws TunnelError. */
function open(core: SessionCore, head: RequestHead, end: boolean, signal: AbortSignal | undefined): [Stream, () => void] {
  if (core.role !== 'edge') throw new TunnelError('PROTOCOL_ERROR', 'only the edge opens streams')
  if (core.closed) throw new TunnelError('SESSION_CLOSED', 'the tunnel session is closed')
  if (signal?.aborted) throw new TunnelError('CANCELLED', 'the request was aborted')
  if (core.streams.size >= core.limits.maxStreams) {
    throw new TunnelError('TOO_MANY_STREAMS', `the session already has ${core.streams.size} streams`)
  }
  const clean = parseRequestHead(head)
  const id = core.allocateId()
  if (id === undefined) throw new TunnelError('SESSION_CLOSED', 'the session has used up its stream ids')
  const frame = requestHeadFrame(id, clean, end)
  if (frame.byteLength - HEADER_BYTES - 1 > core.limits.maxHeadBytes) {
    throw new TunnelError('HEAD_TOO_LARGE', `the request head exceeds ${core.limits.maxHeadBytes} bytes`)
  }
  const stream = new Stream(core, id, clean.upgrade ? 'upgrade' : 'http')
  core.add(stream)
  core.write(frame)
  if (end) stream.endedByHead()
  stream.grant()
  if (!signal) return [stream, () => {}]
  const abort = (): void => stream.reset('CANCELLED', 'the client went away')
  const detach = (): void => signal.removeEventListener('abort', abort)
  signal.addEventListener('abort', abort, { once: true })
  stream.onDone(detach)
  return [stream, detach]
}

/** A received body bound to `stream`; ends at once when the head carried END. */
function inbound(stream: Stream, end: boolean): InboundBody {
  const body = new InboundBody(stream)
  if (end) {
    body.end()
    stream.remoteEnd()
  }
  return body
}

export async function edgeFetch(
  core: SessionCore,
  head: RequestHead,
  body: ReadableStream<Uint8Array> | null,
  signal?: AbortSignal,
): Promise<FetchResult> {
  if (head.upgrade) throw new TunnelError('PROTOCOL_ERROR', 'WebSocket upgrades go through upgrade()')
  const [stream] = open(core, head, body === null, signal)
  const response = new Promise<FetchResult>((resolve, reject) => {
    stream.onFail(reject)
    stream.onHead = (h, end) => {
      if (h.status === 101) return stream.reset('PROTOCOL_ERROR', '101 answer to a request that did not ask to upgrade')
      const body = inbound(stream, end)
      resolve({
        head: h,
        get body() {
          return body.stream
        },
        whole: () => body.takeWhole(),
      })
    }
  })
  if (body) void pumpBody(stream, body, 'CANCELLED')
  return response
}

export async function edgeUpgrade(core: SessionCore, head: RequestHead, signal?: AbortSignal): Promise<UpgradeResult> {
  // The signal covers the handshake only; an accepted socket lives until it is closed.
  const [stream, detach] = open(core, { ...head, upgrade: head.upgrade ?? { protocols: [] } }, false, signal)
  return new Promise<UpgradeResult>((resolve, reject) => {
    stream.onFail(reject)
    stream.onHead = (h, end) => {
      if (h.status !== 101) {
        stream.mode = 'refused'
        const refusal = inbound(stream, end).stream
        stream.end()
        return resolve({ head: h, socket: null, body: refusal })
      }
      if (end) return stream.reset('PROTOCOL_ERROR', 'a 101 answer cannot end the stream')
      stream.mode = 'ws'
      detach()
      const socket = new StreamSocket(stream)
      socket.open()
      resolve({ head: h, socket, body: null })
    }
  })
}
