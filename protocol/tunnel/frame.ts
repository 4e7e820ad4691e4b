// Framing only. One frame per binary WebSocket message: [type u8][streamId u32 BE][payload].
// Stream 0 is the session; streams the edge opens have odd ids, increasing, never reused in a session.
import { errorCodeFromNumber, errorNumber, type ErrorCode } from './errors.ts'
import type { Limits } from './limits.ts'
import { parseFacts, parseHello, parseRequestHead, parseResponseHead } from './parse.ts'
import type { ClusterFacts, Hello, RequestHead, ResponseHead } from './types.ts'

export const FrameType = {
  /** stream 0, agent → edge, JSON Hello: the first frame of a session. */
  HELLO: 1,
  /** stream 0, agent → edge, JSON ClusterFacts; sent whenever they change. */
  FACTS: 2,
  /** edge → agent, opens the stream: [flags u8][JSON RequestHead]; flag END = no request body. */
  REQUEST_HEAD: 3,
  /** agent → edge: [flags u8][JSON ResponseHead]; flag END = no response body. */
  RESPONSE_HEAD: 4,
  /** Body bytes; counts against the stream's credit. */
  DATA: 5,
  /** Half-close: the sender sends no more DATA on this stream. */
  END: 6,
  /** Abort the stream in both directions: [code u16][utf8 reason]. */
  RESET: 7,
  /** Grant credit: [increment u32], > 0. */
  WINDOW: 8,
  /** A tunnelled WebSocket message (or fragment): [flags u8: TEXT, MORE][bytes]; counts against credit. */
  WS_MESSAGE: 9,
  /** The sender's WebSocket close: [code u16][utf8 reason]; the receiver echoes it. */
  WS_CLOSE: 10,
  /** stream 0, [8 opaque bytes]; the receiver answers PONG with the same bytes. */
  PING: 11,
  /** stream 0, [8 bytes] echoed from a PING. */
  PONG: 12,
  /** stream 0, [upTo u32][id u32]*: the sender's open streams among ids <= upTo. */
  SYNC: 13,
  /** stream 0, [code u16][utf8 reason]: the sender is ending the session. */
  GOAWAY: 14,
  /**
   * stream 0, ([length u32][frame])+: several frames in one message, handled in order as if each had come
   * alone. Never nested. Sent only to a peer that accepts the `batch` feature.
   */
  BATCH: 15,
} as const
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

export const HEADER_BYTES = 5
export const HEAD_FLAG_END = 0x01
export const WS_FLAG_TEXT = 0x01
export const WS_FLAG_MORE = 0x02
/** Reasons are cut to what a WebSocket close frame can carry, so they pass through bridges unchanged. */
export const MAX_REASON_BYTES = 123

const typeNames = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]))

type F<T extends FrameType, P> = { type: T; streamId: number } & P
export type HelloFrame = F<typeof FrameType.HELLO, { hello: Hello }>
export type FactsFrame = F<typeof FrameType.FACTS, { facts: ClusterFacts }>
export type RequestHeadFrame = F<typeof FrameType.REQUEST_HEAD, { head: RequestHead; end: boolean }>
export type ResponseHeadFrame = F<typeof FrameType.RESPONSE_HEAD, { head: ResponseHead; end: boolean }>
export type DataFrame = F<typeof FrameType.DATA, { data: Uint8Array }>
export type EndFrame = F<typeof FrameType.END, object>
export type ResetFrame = F<typeof FrameType.RESET, { code: ErrorCode; reason: string }>
export type WindowFrame = F<typeof FrameType.WINDOW, { increment: number }>
export type WsMessageFrame = F<typeof FrameType.WS_MESSAGE, { data: Uint8Array; text: boolean; more: boolean }>
export type WsCloseFrame = F<typeof FrameType.WS_CLOSE, { code: number; reason: string }>
export type PingFrame = F<typeof FrameType.PING, { data: Uint8Array }>
export type PongFrame = F<typeof FrameType.PONG, { data: Uint8Array }>
export type SyncFrame = F<typeof FrameType.SYNC, { upTo: number; ids: number[] }>
export type GoawayFrame = F<typeof FrameType.GOAWAY, { code: ErrorCode; reason: string }>
/** The inner frames, undecoded (views into the message): each is decoded and handled on its own. */
export type BatchFrame = F<typeof FrameType.BATCH, { frames: Uint8Array[] }>
export type Frame =
  | HelloFrame | FactsFrame | RequestHeadFrame | ResponseHeadFrame | DataFrame | EndFrame | ResetFrame
  | WindowFrame | WsMessageFrame | WsCloseFrame | PingFrame | PongFrame | SyncFrame | GoawayFrame | BatchFrame

/** Why bytes did not decode. streamId 0: close the session with `code`; otherwise reset that stream. */
export interface DecodeError {
  code: ErrorCode
  message: string
  streamId: number
  type: number
}
export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: DecodeError }

const encoder = new TextEncoder()
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const lenient = new TextDecoder('utf-8')

function frame(type: FrameType, streamId: number, payload: number): [Uint8Array, DataView] {
  const bytes = new Uint8Array(HEADER_BYTES + payload)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, type)
  view.setUint32(1, streamId)
  return [bytes, view]
}

function withBytes(type: FrameType, streamId: number, prefix: number[], data: Uint8Array): Uint8Array {
  const [bytes] = frame(type, streamId, prefix.length + data.byteLength)
  bytes.set(prefix, HEADER_BYTES)
  bytes.set(data, HEADER_BYTES + prefix.length)
  return bytes
}

/** UTF-8 of `reason`, cut on a character boundary to MAX_REASON_BYTES. */
export function reasonBytes(reason: string): Uint8Array {
  const b = encoder.encode(reason)
  if (b.byteLength <= MAX_REASON_BYTES) return b
  let end = MAX_REASON_BYTES
  while (end > 0 && ((b[end] ?? 0) & 0xc0) === 0x80) end--
  return b.subarray(0, end)
}

function coded(type: FrameType, streamId: number, code: number, reason: string): Uint8Array {
  return withBytes(type, streamId, [code >> 8, code & 0xff], reasonBytes(reason))
}

const json = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v))

export const helloFrame = (hello: Hello): Uint8Array => withBytes(FrameType.HELLO, 0, [], json(hello))
export const factsFrame = (facts: ClusterFacts): Uint8Array => withBytes(FrameType.FACTS, 0, [], json(facts))
/** JSON of identities already encoded: an edge sends the same few identities over and over. */
const identityJson = new WeakMap<object, string>()

/** The head's JSON, the identity's part encoded once per (frozen) identity object. */
function headJson(head: RequestHead): Uint8Array {
  const { method, path, headers, identity, upgrade } = head
  if (!Object.isFrozen(identity)) return json(head)
  let id = identityJson.get(identity)
  if (id === undefined) identityJson.set(identity, (id = JSON.stringify(identity)))
  // Fields in parseRequestHead's order, so a decoded head encodes to the same bytes.
  const first = JSON.stringify({ method, path, headers })
  return encoder.encode(`${first.slice(0, -1)},"identity":${id}${upgrade ? `,"upgrade":${JSON.stringify(upgrade)}` : ''}}`)
}

export const requestHeadFrame = (id: number, head: RequestHead, end: boolean): Uint8Array =>
  withBytes(FrameType.REQUEST_HEAD, id, [end ? HEAD_FLAG_END : 0], headJson(head))
export const responseHeadFrame = (id: number, head: ResponseHead, end: boolean): Uint8Array =>
  withBytes(FrameType.RESPONSE_HEAD, id, [end ? HEAD_FLAG_END : 0], json(head))
export const dataFrame = (id: number, data: Uint8Array): Uint8Array => withBytes(FrameType.DATA, id, [], data)
export const endFrame = (id: number): Uint8Array => frame(FrameType.END, id, 0)[0]
export const resetFrame = (id: number, code: ErrorCode, reason: string): Uint8Array =>
  coded(FrameType.RESET, id, errorNumber(code), reason)
export const wsMessageFrame = (id: number, data: Uint8Array, text: boolean, more: boolean): Uint8Array =>
  withBytes(FrameType.WS_MESSAGE, id, [(text ? WS_FLAG_TEXT : 0) | (more ? WS_FLAG_MORE : 0)], data)
export const wsCloseFrame = (id: number, code: number, reason: string): Uint8Array =>
  coded(FrameType.WS_CLOSE, id, code & 0xffff, reason)
export const pingFrame = (data: Uint8Array): Uint8Array => withBytes(FrameType.PING, 0, [], data.subarray(0, 8))
export const pongFrame = (data: Uint8Array): Uint8Array => withBytes(FrameType.PONG, 0, [], data.subarray(0, 8))
export const goawayFrame = (code: ErrorCode, reason: string): Uint8Array =>
  coded(FrameType.GOAWAY, 0, errorNumber(code), reason)

export function windowFrame(id: number, increment: number): Uint8Array {
  const [bytes, view] = frame(FrameType.WINDOW, id, 4)
  view.setUint32(HEADER_BYTES, increment)
  return bytes
}

/** Frames (none of them a BATCH) as one message: one copy of each into the batch. */
export function batchFrame(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const f of frames) size += 4 + f.byteLength
  const [bytes, view] = frame(FrameType.BATCH, 0, size)
  let at = HEADER_BYTES
  for (const f of frames) {
    view.setUint32(at, f.byteLength)
    bytes.set(f, at + 4)
    at += 4 + f.byteLength
  }
  return bytes
}

export function syncFrame(upTo: number, ids: readonly number[]): Uint8Array {
  const [bytes, view] = frame(FrameType.SYNC, 0, 4 + 4 * ids.length)
  view.setUint32(HEADER_BYTES, upTo)
  ids.forEach((id, i) => view.setUint32(HEADER_BYTES + 4 + 4 * i, id))
  return bytes
}

/** Any decoded frame back to bytes (round trips, tests, tools). */
export function encodeFrame(f: Frame): Uint8Array {
  switch (f.type) {
    case FrameType.HELLO: return helloFrame(f.hello)
    case FrameType.FACTS: return factsFrame(f.facts)
    case FrameType.REQUEST_HEAD: return requestHeadFrame(f.streamId, f.head, f.end)
    case FrameType.RESPONSE_HEAD: return responseHeadFrame(f.streamId, f.head, f.end)
    case FrameType.DATA: return dataFrame(f.streamId, f.data)
    case FrameType.END: return endFrame(f.streamId)
    case FrameType.RESET: return resetFrame(f.streamId, f.code, f.reason)
    case FrameType.WINDOW: return windowFrame(f.streamId, f.increment)
    case FrameType.WS_MESSAGE: return wsMessageFrame(f.streamId, f.data, f.text, f.more)
    case FrameType.WS_CLOSE: return wsCloseFrame(f.streamId, f.code, f.reason)
    case FrameType.PING: return pingFrame(f.data)
    case FrameType.PONG: return pongFrame(f.data)
    case FrameType.SYNC: return syncFrame(f.upTo, f.ids)
    case FrameType.GOAWAY: return goawayFrame(f.code, f.reason)
    case FrameType.BATCH: return batchFrame(f.frames)
  }
}

/** One line for logs: type, stream, sizes and codes; never header values, identities or query strings. */
export function describeFrame(f: Frame): string {
  const name = `${typeNames.get(f.type) ?? `TYPE_${String(f.type)}`} #${f.streamId}`
  switch (f.type) {
    case FrameType.HELLO: return `${name} agent=${f.hello.agentVersion} session=${f.hello.sessionId}`
    case FrameType.REQUEST_HEAD: {
      const h = f.head
      return `${name} ${h.method} ${h.path.split('?')[0]}${h.upgrade ? ' upgrade' : ''} headers=${h.headers.length}${f.end ? ' end' : ''}`
    }
    case FrameType.RESPONSE_HEAD: return `${name} ${f.head.status} headers=${f.head.headers.length}${f.end ? ' end' : ''}`
    case FrameType.DATA: return `${name} ${f.data.byteLength}B`
    case FrameType.WS_MESSAGE: return `${name} ${f.text ? 'text' : 'binary'} ${f.data.byteLength}B${f.more ? ' more' : ''}`
    case FrameType.RESET:
    case FrameType.GOAWAY:
    case FrameType.WS_CLOSE: return `${name} ${f.code} ${JSON.stringify(f.reason)}`
    case FrameType.WINDOW: return `${name} +${f.increment}`
    case FrameType.SYNC: return `${name} upTo=${f.upTo} open=${f.ids.length}`
    case FrameType.BATCH: return `${name} frames=${f.frames.length}`
    default: return name
  }
}

const SESSION_TYPES = new Set<number>([FrameType.HELLO, FrameType.FACTS, FrameType.PING, FrameType.PONG, FrameType.SYNC, FrameType.GOAWAY, FrameType.BATCH])
const FIXED_SIZE = new Map<number, number>([[FrameType.END, 0], [FrameType.WINDOW, 4], [FrameType.PING, 8], [FrameType.PONG, 8]])
const MIN_SIZE = new Map<number, number>([
  [FrameType.REQUEST_HEAD, 1], [FrameType.RESPONSE_HEAD, 1], [FrameType.RESET, 2], [FrameType.WS_MESSAGE, 1],
  [FrameType.WS_CLOSE, 2], [FrameType.SYNC, 4], [FrameType.GOAWAY, 2], [FrameType.BATCH, 4 + HEADER_BYTES],
])

/**
 * Decodes one frame, checking sizes before contents, so the work per frame is bounded by `maxFrameBytes`
 * (JSON by `maxHeadBytes`). Never throws: bad bytes come back as a DecodeError. Payloads are views into
 * `bytes`, not copies.
 */
export function decodeFrame(bytes: Uint8Array, limits: Pick<Limits, 'maxFrameBytes' | 'maxHeadBytes'>): DecodeResult {
  let type = 0
  const bad = (code: ErrorCode, message: string, streamId = 0): DecodeResult => ({ ok: false, error: { code, message, streamId, type } })
  if (bytes.byteLength > limits.maxFrameBytes) return bad('FRAME_TOO_LARGE', `frame of ${bytes.byteLength} bytes exceeds ${limits.maxFrameBytes}`)
  if (bytes.byteLength < HEADER_BYTES) return bad('PROTOCOL_ERROR', `frame of ${bytes.byteLength} bytes is shorter than its header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  type = view.getUint8(0)
  const streamId = view.getUint32(1)
  const name = typeNames.get(type)
  if (!name) return bad('PROTOCOL_ERROR', `unknown frame type ${type}`)
  if (SESSION_TYPES.has(type) !== (streamId === 0)) return bad('PROTOCOL_ERROR', `${name} is not allowed on stream ${streamId}`)
  const p = bytes.subarray(HEADER_BYTES)
  const fixed = FIXED_SIZE.get(type)
  const misfit = (fixed !== undefined && p.byteLength !== fixed) || (type === FrameType.SYNC && p.byteLength % 4 !== 0)
  if (misfit || p.byteLength < (MIN_SIZE.get(type) ?? 0)) {
    return bad('PROTOCOL_ERROR', `${name} payload of ${p.byteLength} bytes has the wrong size`)
  }
  const u16 = (): number => view.getUint16(HEADER_BYTES)
  const reason = (): string => lenient.decode(p.subarray(2))
  const json = <T>(parse: (v: unknown) => T, from: number): { value: T } | { error: DecodeResult } => {
    const body = p.subarray(from)
    if (body.byteLength > limits.maxHeadBytes) {
      return { error: bad('HEAD_TOO_LARGE', `${name} of ${body.byteLength} bytes exceeds ${limits.maxHeadBytes}`, streamId) }
    }
    try {
      return { value: parse(JSON.parse(strict.decode(body))) }
    } catch (e) {
      return { error: bad('PROTOCOL_ERROR', `${name}: ${e instanceof Error ? e.message : 'invalid'}`, streamId) }
    }
  }
  const ok = (frame: Frame): DecodeResult => ({ ok: true, frame })
  const end = ((p[0] ?? 0) & HEAD_FLAG_END) !== 0
  switch (type) {
    case FrameType.HELLO: {
      const r = json(parseHello, 0)
      return 'error' in r ? r.error : ok({ type: FrameType.HELLO, streamId, hello: r.value })
    }
    case FrameType.FACTS: {
      const r = json(parseFacts, 0)
      return 'error' in r ? r.error : ok({ type: FrameType.FACTS, streamId, facts: r.value })
    }
    case FrameType.REQUEST_HEAD: {
      const r = json(parseRequestHead, 1)
      return 'error' in r ? r.error : ok({ type: FrameType.REQUEST_HEAD, streamId, head: r.value, end })
    }
    case FrameType.RESPONSE_HEAD: {
      const r = json(parseResponseHead, 1)
      return 'error' in r ? r.error : ok({ type: FrameType.RESPONSE_HEAD, streamId, head: r.value, end })
    }
    case FrameType.DATA: return ok({ type: FrameType.DATA, streamId, data: p })
    case FrameType.END: return ok({ type: FrameType.END, streamId })
    case FrameType.RESET: return ok({ type: FrameType.RESET, streamId, code: errorCodeFromNumber(u16()), reason: reason() })
    case FrameType.WINDOW: {
      const increment = view.getUint32(HEADER_BYTES)
      if (increment === 0) return bad('PROTOCOL_ERROR', 'WINDOW increment of 0', streamId)
      return ok({ type: FrameType.WINDOW, streamId, increment })
    }
    case FrameType.WS_MESSAGE: {
      const flags = p[0] ?? 0
      const [text, more] = [(flags & WS_FLAG_TEXT) !== 0, (flags & WS_FLAG_MORE) !== 0]
      return ok({ type: FrameType.WS_MESSAGE, streamId, data: p.subarray(1), text, more })
    }
    case FrameType.WS_CLOSE: return ok({ type: FrameType.WS_CLOSE, streamId, code: u16(), reason: reason() })
    case FrameType.PING: return ok({ type: FrameType.PING, streamId, data: p })
    case FrameType.PONG: return ok({ type: FrameType.PONG, streamId, data: p })
    case FrameType.SYNC: {
      const ids: number[] = []
      for (let at = HEADER_BYTES + 4; at < bytes.byteLength; at += 4) ids.push(view.getUint32(at))
      return ok({ type: FrameType.SYNC, streamId, upTo: view.getUint32(HEADER_BYTES), ids })
    }
    case FrameType.GOAWAY: return ok({ type: FrameType.GOAWAY, streamId, code: errorCodeFromNumber(u16()), reason: reason() })
    case FrameType.BATCH: {
      // Lengths are checked before anything is handled, so a bad batch is refused whole.
      const frames: Uint8Array[] = []
      for (let at = HEADER_BYTES; at < bytes.byteLength; ) {
        if (bytes.byteLength - at < 4) return bad('PROTOCOL_ERROR', 'BATCH ends inside a length')
        const length = view.getUint32(at)
        if (length < HEADER_BYTES || length > bytes.byteLength - at - 4) return bad('PROTOCOL_ERROR', `BATCH entry of ${length} bytes does not fit`)
        const inner = bytes.subarray(at + 4, at + 4 + length)
        if (inner[0] === FrameType.BATCH) return bad('PROTOCOL_ERROR', 'BATCH inside a BATCH')
        frames.push(inner)
        at += 4 + length
      }
      return ok({ type: FrameType.BATCH, streamId, frames })
    }
    default: return bad('PROTOCOL_ERROR', `unknown frame type ${type}`)
  }
}
