export { FEATURE_BATCH, TUNNEL_FEATURES_HEADER, TUNNEL_SUBPROTOCOL } from './types.ts'
export type { ApiServerFacts, ClusterFacts, Hello, Identity, RequestHead, ResponseHead, StreamHandler, Transport, TunnelSocket } from './types.ts'
export { systemClock, type Clock } from './clock.ts'
export { defaultLimits, INITIAL_WINDOW, maxMessageBytes, sendBufferLimit, type Limits } from './limits.ts'
export {
  closeCodeFor,
  ERROR_CODES,
  errorCodeFromClose,
  httpStatusFor,
  isErrorCode,
  RETRYABLE_CODES,
  TunnelError,
  type ErrorCode,
} from './errors.ts'
export { MAX_API_SERVER_MESSAGE, parseFacts, parseHello, parseIdentity, parseRequestHead, parseResponseHead } from './parse.ts'
export { decodeFrame, describeFrame, encodeFrame, FrameType, type DecodeResult, type Frame } from './frame.ts'
export { PING_TEXT, PONG_TEXT } from './keepalive.ts'
export { TunnelSession, type TunnelSessionOptions } from './session.ts'
export { noCounters, type TunnelCounters } from './core.ts'
export type { FetchResult, UpgradeResult } from './edge.ts'
