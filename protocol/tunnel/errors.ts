// The tunnel's error codes: a closed table. The number travels in RESET and GOAWAY frames (u16) and, as
// 4000 + number, in the close code of the agent's WebSocket. Never renumber an entry; only append.
export const ERROR_CODES = {
  /** A malformed frame, or a frame that is illegal in its stream's or the session's state. */
  PROTOCOL_ERROR: 1,
  /** A frame larger than the receiver's `maxFrameBytes`; closes the session. */
  FRAME_TOO_LARGE: 2,
  /** A request or response head larger than `maxHeadBytes`; resets the stream. */
  HEAD_TOO_LARGE: 3,
  /** The receiver already has `maxStreams` open streams; resets the new one. */
  TOO_MANY_STREAMS: 4,
  /** The peer sent more DATA/WS_MESSAGE bytes than it had credit for, or overflowed a window. */
  FLOW_CONTROL_VIOLATION: 5,
  /** A frame for a stream id the receiver never saw, or one the peer no longer has (SYNC). */
  UNKNOWN_STREAM: 6,
  /** A stream opened with an id at or below one already used in this session. */
  STREAM_ID_REUSED: 7,
  /** The stream's requester went away (client disconnected, signal aborted, body cancelled). */
  CANCELLED: 8,
  /** The agent could not connect to its kube-apiserver; nothing reached it, so a retry is safe. */
  UPSTREAM_UNREACHABLE: 9,
  /** The kube-apiserver failed mid-request or answered something the agent cannot relay. */
  UPSTREAM_ERROR: 10,
  /** The agent declined a WebSocket upgrade (subprotocol not allowed, upstream did not switch). */
  UPGRADE_REFUSED: 11,
  /** The session is closed: its WebSocket went away or it was closed locally. */
  SESSION_CLOSED: 12,
  /** A newer session of the same agent replica replaced this one. */
  SUPERSEDED: 13,
  /** Nothing was received for `pingTimeoutMs`: the link is presumed dead. */
  PING_TIMEOUT: 14,
  /** The agent is stopping (deploy, eviction) and said goodbye. */
  AGENT_SHUTDOWN: 15,
  /** A bug or an unexpected failure inside the tunnel or the stream handler. */
  INTERNAL: 16,
  /** A tunnelled WebSocket message larger than the receiver accepts (`maxFrameBytes` - 64). */
  MESSAGE_TOO_LARGE: 17,
  /** A local sender queued more than its send buffer allows without waiting for `bufferedAmount`. */
  BUFFER_FULL: 18,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** Codes after which the same request may be sent again (on another session or after a reconnect). */
export const RETRYABLE_CODES: readonly ErrorCode[] = [
  'TOO_MANY_STREAMS',
  'UPSTREAM_UNREACHABLE',
  'SESSION_CLOSED',
  'SUPERSEDED',
  'PING_TIMEOUT',
  'AGENT_SHUTDOWN',
]

const retryable = new Set<ErrorCode>(RETRYABLE_CODES)
const byNumber = new Map<number, ErrorCode>(
  Object.entries(ERROR_CODES).map(([name, n]) => [n, name as ErrorCode]),
)

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value)
}

export function errorNumber(code: ErrorCode): number {
  return ERROR_CODES[code]
}

/** The code for a number off the wire; numbers this version does not know become INTERNAL. */
export function errorCodeFromNumber(n: number): ErrorCode {
  return byNumber.get(n) ?? 'INTERNAL'
}

/** The close code for the agent WebSocket when a session ends with `code` (4000-4999 is private use). */
export function closeCodeFor(code: ErrorCode): number {
  return 4000 + ERROR_CODES[code]
}

/** Reverse of `closeCodeFor`, for the side that sees the close; undefined for other close codes. */
export function errorCodeFromClose(closeCode: number): ErrorCode | undefined {
  return closeCode > 4000 && closeCode < 5000 ? byNumber.get(closeCode - 4000) : undefined
}

/** The HTTP status a client should see when its tunnelled request failed with `code`. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'HEAD_TOO_LARGE':
      return 431
    case 'MESSAGE_TOO_LARGE':
      return 400
    case 'CANCELLED':
      return 499
    case 'SESSION_CLOSED':
    case 'SUPERSEDED':
    case 'AGENT_SHUTDOWN':
    case 'TOO_MANY_STREAMS':
    case 'BUFFER_FULL':
      return 503
    case 'PING_TIMEOUT':
      return 504
    default:
      return 502
  }
}

export class TunnelError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TunnelError'
    this.code = code
    this.retryable = retryable.has(code)
  }
}
