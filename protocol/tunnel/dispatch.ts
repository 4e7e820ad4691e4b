// Received stream frames, one function per type. Each checks that the frame fits the stream's state;
// a frame that does not resets that stream (PROTOCOL_ERROR), never the session.
import type { SessionCore } from './core.ts'
import { TunnelError } from './errors.ts'
import {
  FrameType,
  resetFrame,
  type DataFrame,
  type EndFrame,
  type ResetFrame,
  type ResponseHeadFrame,
  type WindowFrame,
  type WsCloseFrame,
  type WsMessageFrame,
} from './frame.ts'
import { WS_MESSAGE_COST, type Stream } from './stream.ts'

/**
 * The open stream `id`, or undefined. Frames for streams that are over are ignored (they were in
 * flight when the stream ended); frames for ids never opened get RESET(UNKNOWN_STREAM).
 */
function lookup(core: SessionCore, id: number, type: number): Stream | undefined {
  const stream = core.streams.get(id)
  if (stream) return stream
  if (type !== FrameType.RESET && core.neverSeen(id)) {
    core.write(resetFrame(id, 'UNKNOWN_STREAM', `stream ${id} was never opened`))
  }
  return undefined
}

export function onResponseHead(core: SessionCore, f: ResponseHeadFrame): void {
  if (core.role !== 'edge') return core.write(resetFrame(f.streamId, 'PROTOCOL_ERROR', 'the agent receives no responses'))
  const s = lookup(core, f.streamId, f.type)
  if (!s) return
  const deliver = s.onHead
  if (!deliver) return s.reset('PROTOCOL_ERROR', 'unexpected RESPONSE_HEAD')
  s.onHead = null
  deliver(f.head, f.end)
}

export function onData(core: SessionCore, f: DataFrame): void {
  const s = lookup(core, f.streamId, f.type)
  if (!s) return
  if (s.gotEnd) return s.reset('PROTOCOL_ERROR', 'DATA after END')
  if (!s.inbound) return s.reset('PROTOCOL_ERROR', 'DATA where no body is expected')
  if (f.data.byteLength === 0) return
  if (s.receive(f.data.byteLength)) s.inbound.push(f.data)
}

export function onEnd(core: SessionCore, f: EndFrame): void {
  const s = lookup(core, f.streamId, f.type)
  if (!s) return
  if (s.gotEnd) return s.reset('PROTOCOL_ERROR', 'END twice')
  if (s.mode === 'ws') return s.reset('PROTOCOL_ERROR', 'END on a WebSocket stream')
  // Without a body sink, END is legal only from the edge abandoning an upgrade it sent.
  if (!s.inbound && !(core.role === 'agent' && s.mode !== 'http')) return s.reset('PROTOCOL_ERROR', 'END before a head')
  s.inbound?.end()
  s.remoteEnd()
}

export function onReset(core: SessionCore, f: ResetFrame): void {
  lookup(core, f.streamId, f.type)?.fail(new TunnelError(f.code, f.reason || `stream reset by the peer (${f.code})`), false)
}

export function onWindow(core: SessionCore, f: WindowFrame): void {
  lookup(core, f.streamId, f.type)?.addCredit(f.increment)
}

export function onWsMessage(core: SessionCore, f: WsMessageFrame): void {
  const s = lookup(core, f.streamId, f.type)
  if (!s) return
  if (s.mode !== 'ws' || !s.socket || s.gotEnd) return s.reset('PROTOCOL_ERROR', 'WS_MESSAGE outside an open WebSocket')
  if (s.receive(f.data.byteLength + WS_MESSAGE_COST)) s.socket.receiveMessage(f.data, f.text, f.more)
}

export function onWsClose(core: SessionCore, f: WsCloseFrame): void {
  const s = lookup(core, f.streamId, f.type)
  if (!s) return
  if (s.mode !== 'ws' || !s.socket || s.gotEnd) return s.reset('PROTOCOL_ERROR', 'WS_CLOSE outside an open WebSocket')
  s.socket.receiveClose(f.code, f.reason)
  s.remoteEnd()
}
