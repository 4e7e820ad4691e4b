// The agent serves the streams the edge opens, through its StreamHandler.
import { InboundBody, pumpBody, sendBytes } from './body.ts'
import type { SessionCore } from './core.ts'
import { TunnelError } from './errors.ts'
import { HEADER_BYTES, resetFrame, responseHeadFrame, type RequestHeadFrame } from './frame.ts'
import { parseResponseHead } from './parse.ts'
import { StreamSocket } from './socket.ts'
import { Stream } from './stream.ts'
import type { RequestHead, ResponseHead, StreamHandler } from './types.ts'

const noop = (): void => {}

/** A REQUEST_HEAD arrived: check the id and the stream cap, then hand the stream to the handler. */
export function acceptRequest(core: SessionCore, f: RequestHeadFrame, handler: StreamHandler | undefined): void {
  const id = f.streamId
  if (core.role !== 'agent' || !handler) return core.write(resetFrame(id, 'PROTOCOL_ERROR', 'this side does not serve streams'))
  if (id % 2 === 0) return core.write(resetFrame(id, 'PROTOCOL_ERROR', 'streams opened by the edge have odd ids'))
  if (id <= core.lastPeerId) {
    const open = core.streams.get(id)
    if (open) return open.reset('STREAM_ID_REUSED', `stream id ${id} is already in use`)
    return core.write(resetFrame(id, 'STREAM_ID_REUSED', `stream id ${id} was already used`))
  }
  core.lastPeerId = id
  if (core.streams.size >= core.limits.maxStreams) {
    return core.write(resetFrame(id, 'TOO_MANY_STREAMS', `the agent already serves ${core.streams.size} streams`))
  }
  const stream = new Stream(core, id, f.head.upgrade ? 'upgrade' : 'http')
  core.add(stream)
  const aborter = new AbortController()
  stream.onFail((e) => aborter.abort(e))
  if (f.end) stream.gotEnd = true
  stream.grant()
  if (stream.mode === 'http') void serveHttp(stream, f.head, handler, aborter.signal)
  else void serveWebSocket(stream, f.head, handler, aborter.signal)
}

/** A head the agent can send, or undefined after resetting the stream. */
function responseFrame(stream: Stream, head: ResponseHead, end: boolean, accept: boolean): Uint8Array | undefined {
  let clean: ResponseHead
  try {
    clean = parseResponseHead(head)
  } catch (e) {
    stream.reset('UPSTREAM_ERROR', `invalid response head: ${(e as Error).message}`)
    return undefined
  }
  if ((clean.status === 101) !== accept) {
    stream.reset('UPSTREAM_ERROR', `status ${clean.status} is not a valid answer here`)
    return undefined
  }
  const frame = responseHeadFrame(stream.id, clean, end)
  if (frame.byteLength - HEADER_BYTES - 1 > stream.host.limits.maxHeadBytes) {
    stream.reset('UPSTREAM_ERROR', `the response head exceeds ${stream.host.limits.maxHeadBytes} bytes`)
    return undefined
  }
  return frame
}

/** Sends a non-101 answer and its body, then ends the stream. */
async function respond(stream: Stream, head: ResponseHead, body: ReadableStream<Uint8Array> | Uint8Array | null): Promise<void> {
  const cancel = (reason?: unknown) => void (body instanceof ReadableStream ? body.cancel(reason).catch(noop) : undefined)
  if (stream.error) return cancel(stream.error)
  const empty = body === null || (body instanceof Uint8Array && body.byteLength === 0)
  const frame = responseFrame(stream, head, empty, false)
  if (!frame) return cancel()
  stream.host.write(frame)
  if (empty) stream.endedByHead()
  else if (body instanceof Uint8Array) await sendBytes(stream, body)
  else await pumpBody(stream, body!, 'UPSTREAM_ERROR')
  // The answer is complete but the edge is still sending: tell it to stop (its response stays intact).
  if (!stream.gotEnd && !stream.error && stream.sentEnd) stream.reset('CANCELLED', 'the response is complete')
}

/** The handler threw: reset the stream with its TunnelError, or INTERNAL for anything else. */
function handlerFailed(stream: Stream, e: unknown): void {
  const err = e instanceof TunnelError ? e : new TunnelError('INTERNAL', `the stream handler failed: ${e instanceof Error ? e.message : String(e)}`)
  stream.reset(err.code, err.message)
}

async function serveHttp(stream: Stream, head: RequestHead, handler: StreamHandler, signal: AbortSignal): Promise<void> {
  const body = stream.gotEnd ? null : new InboundBody(stream).stream
  let answer: Awaited<ReturnType<StreamHandler['http']>>
  try {
    answer = await handler.http(head, body, signal)
  } catch (e) {
    return handlerFailed(stream, e)
  }
  await respond(stream, answer.head, answer.body ?? null)
}

async function serveWebSocket(stream: Stream, head: RequestHead, handler: StreamHandler, signal: AbortSignal): Promise<void> {
  const socket = new StreamSocket(stream)
  let answer: Awaited<ReturnType<StreamHandler['websocket']>>
  try {
    answer = await handler.websocket(head, socket, signal)
  } catch (e) {
    return handlerFailed(stream, e)
  }
  if (answer.head.status !== 101 || stream.error) {
    socket.refuse()
    stream.mode = 'refused'
    return respond(stream, answer.head, answer.body ?? null)
  }
  if (answer.body instanceof ReadableStream) void answer.body.cancel().catch(noop)
  const frame = responseFrame(stream, answer.head, false, true)
  if (!frame) return
  stream.host.write(frame)
  stream.mode = 'ws'
  socket.open()
}
