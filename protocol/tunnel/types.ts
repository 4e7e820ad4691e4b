// The tunnel's public shapes. Heads, hello and facts travel as JSON and are validated on receipt by
// parse.ts; everything else is binary framing (frame.ts).

/** The WebSocket subprotocol the agent offers and the edge accepts; it is the protocol version. */
export const TUNNEL_SUBPROTOCOL = 'drover.tunnel.v1'

/**
 * Optional protocol features. The agent lists those it accepts in its hello; the edge lists those it
 * accepts in this header of its 101 answer. Each side uses a feature only towards a peer that accepts it.
 * `batch`: BATCH frames (several frames in one WebSocket message).
 */
export const TUNNEL_FEATURES_HEADER = 'x-drover-tunnel-features'
export const FEATURE_BATCH = 'batch'

/** Who the request runs as, set by the edge from a verified credential; the agent impersonates it. */
export interface Identity {
  user: string
  groups: string[]
  extra: Record<string, string[]>
}

export interface RequestHead {
  method: string
  /** Path and query in origin form: starts with '/', never '//'. */
  path: string
  /** Repeated names allowed; order kept. */
  headers: [string, string][]
  identity: Identity
  /** Present: a WebSocket upgrade request offering these subprotocols. */
  upgrade?: { protocols: string[] }
}

export interface ResponseHead {
  status: number
  headers: [string, string][]
  /** The chosen WebSocket subprotocol of a 101. */
  protocol?: string
}

/** The agent's first message on a new session. */
export interface Hello {
  agentVersion: string
  sessionId: string
  replicaId: string
  /** Protocol features the agent accepts (see FEATURE_BATCH); absent from older agents. */
  features?: string[]
}

export interface ClusterFacts {
  kubernetesVersion?: string
  nodeCount?: number
  capacity?: Record<string, string>
  allocatable?: Record<string, string>
  /**
   * What the agent's last probe of its kube-apiserver's `/readyz` said. Absent from older agents and while
   * the agent cannot tell (no probe answered yet, or `/readyz` refused it); an older edge ignores it.
   */
  apiServer?: ApiServerFacts
}

export interface ApiServerFacts {
  ready: boolean
  /** Why it is not ready (the failing checks, or why `/readyz` did not answer); at most 1,024 characters. */
  message?: string
}

/** The one WebSocket a session runs over. Both calls may throw once it is gone; the session copes. */
export interface Transport {
  send(message: Uint8Array | string): void
  close(code: number, reason: string): void
}

/**
 * One tunnelled WebSocket, either side. `send` queues the message and transmits it as flow-control
 * credit allows; `bufferedAmount` is what still waits for credit, so a producer that can pause should
 * pause while it is high. Queuing far beyond the window (see `sendBufferLimit`) fails the socket with
 * BUFFER_FULL rather than growing without bound. Events are delivered in order once their handler is
 * set; undelivered messages hold back the peer's credit. `onclose` fires once: with the peer's close
 * code after a close handshake, or 1011 when the stream or session failed.
 */
export interface TunnelSocket {
  send(data: string | Uint8Array): void
  close(code?: number, reason?: string): void
  readonly bufferedAmount: number
  onmessage?: (data: string | Uint8Array) => void
  onclose?: (code: number, reason: string) => void
}

/**
 * The agent's side: serves the streams the edge opens. `signal` aborts when the edge resets the stream or
 * the session ends. A body given as bytes (a whole, small answer) is sent without a stream.
 */
export interface StreamHandler {
  http(
    head: RequestHead,
    body: ReadableStream<Uint8Array> | null,
    signal: AbortSignal,
  ): Promise<{ head: ResponseHead; body: ReadableStream<Uint8Array> | Uint8Array | null }>
  /**
   * Return a 101 head (with the chosen protocol) to accept and then use `socket`; any other status
   * refuses (the body, if any, is sent and the stream ends).
   */
  websocket(
    head: RequestHead,
    socket: TunnelSocket,
    signal: AbortSignal,
  ): Promise<{ head: ResponseHead; body?: ReadableStream<Uint8Array> | Uint8Array | null }>
}
