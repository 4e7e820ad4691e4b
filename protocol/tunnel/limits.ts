export interface Limits {
  /** Whole frame including its 5-byte header. */
  maxFrameBytes: number
  /** JSON of a request or response head. */
  maxHeadBytes: number
  /** Concurrent streams per session. */
  maxStreams: number
  /** Per-stream receive window (credit) in bytes, as a stream starts. */
  streamWindow: number
  /**
   * What a stream's window may grow to while its consumer keeps up: each time the consumer has taken
   * every byte received when credit is due, the window doubles (the sender, not the reader, is then the
   * bottleneck). A slow reader never grows its window, so it still holds at most `streamWindow`.
   */
  maxStreamWindow: number
  /** Max bytes buffered across all streams of a session on the receiving side. */
  sessionBufferBytes: number
  /** 0 = never ping. */
  pingIntervalMs: number
  /** Nothing received for this long: the session is dead. 0 = never time out. */
  pingTimeoutMs: number
  /** Stream-id sync; 0 = off. */
  syncIntervalMs: number
}

export const defaultLimits: Limits = Object.freeze({
  maxFrameBytes: 1024 * 1024 + 64,
  maxHeadBytes: 64 * 1024,
  maxStreams: 1024,
  streamWindow: 256 * 1024,
  maxStreamWindow: 4 * 1024 * 1024,
  sessionBufferBytes: 16 * 1024 * 1024,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 30_000,
  syncIntervalMs: 30_000,
})

/**
 * Every stream starts with this much credit in each direction: a protocol constant, so a request body
 * can flow before the receiver has said anything. A receiver with a larger `streamWindow` grants the
 * difference when the stream opens; one with a smaller window lets the first 256 KiB drain before it
 * grants again. Limits are per side; framing limits should match on both ends.
 */
export const INITIAL_WINDOW = 256 * 1024

/** Room a frame needs besides its payload; also what a WebSocket message leaves of a frame. */
export const FRAME_OVERHEAD = 64

/** Largest tunnelled WebSocket message (1 MiB with the default frame limit, as on Workers). */
export function maxMessageBytes(limits: Limits): number {
  return limits.maxFrameBytes - FRAME_OVERHEAD
}

/** What one socket may queue before `send` fails with BUFFER_FULL. */
export function sendBufferLimit(limits: Limits): number {
  return limits.streamWindow + 2 * limits.maxFrameBytes
}

export function resolveLimits(partial: Partial<Limits> | undefined): Limits {
  const limits = { ...defaultLimits, ...partial }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`limits.${name} must be a non-negative integer`)
  }
  if (limits.maxFrameBytes < FRAME_OVERHEAD + 64) throw new RangeError(`limits.maxFrameBytes must be at least ${FRAME_OVERHEAD + 64}`)
  if (limits.maxFrameBytes > 0xffffffff || limits.streamWindow > 0x7fffffff || limits.maxStreamWindow > 0x7fffffff) throw new RangeError('limits out of range')
  // A window below the start window (an older caller setting only streamWindow) simply does not grow.
  limits.maxStreamWindow = Math.max(limits.maxStreamWindow, limits.streamWindow)
  if (limits.maxStreams < 1 || limits.streamWindow < 1 || limits.maxHeadBytes < 1) {
    throw new RangeError('limits.maxStreams, streamWindow and maxHeadBytes must be positive')
  }
  return limits
}
