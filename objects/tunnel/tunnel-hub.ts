import type {
  TunnelError} from '../../protocol/tunnel/index.ts';
import {
  TunnelSession,
  systemClock,
  type ClusterFacts,
  type Clock,
  type Hello,
  type Limits,
} from '../../protocol/tunnel/index.ts'

/** The parts of a hibernatable WebSocket the hub uses; a plain object in Node tests. */
export interface AgentSocket {
  send(message: string | ArrayBuffer | Uint8Array): void
  close(code?: number, reason?: string): void
  serializeAttachment(value: unknown): void
  deserializeAttachment(): unknown
}

/** Per-socket data that must survive hibernation (kept in the socket attachment, ≤ 2 KiB). */
interface Attachment {
  connectedAt: number
  /** Order of acceptance in this object: a later connection of a replica is its newer one, whatever said hello first. */
  seq?: number
  hello?: Hello
  facts?: ClusterFacts
  /** Stream ids below this may have been used on this socket; a session resumed after hibernation starts here. */
  streamIdCeiling?: number
}

/** Stream ids are reserved in blocks, so the attachment is rewritten once per block, not per request. */
const STREAM_ID_BLOCK = 20_000

export interface SessionStatus {
  sessionId: string
  replicaId: string
  agentVersion: string
  connectedSince: string
  lastMessageAt: string
  streams: number
}

export interface TunnelStatus {
  clusterId: string
  connected: boolean
  sessions: SessionStatus[]
  facts?: ClusterFacts
}

interface Entry {
  socket: AgentSocket
  session: TunnelSession
  attachment: Attachment
  /** A message came in this object instance (a restored session's lastReceivedAt is only its restore time). */
  heard?: boolean
}

/**
 * All agent sessions of one cluster. New streams go to the least busy session that has said hello; a
 * reconnect of the same agent replica supersedes its stale session. Knows nothing of Durable Objects:
 * the object feeds it socket events, so it runs in Node tests too.
 */
export class TunnelHub {
  private entries = new Map<AgentSocket, Entry>()
  /** Next `seq`; above every restored socket's, so order holds across hibernation (a reset closes them all). */
  private nextSeq = 1

  constructor(
    readonly clusterId: string,
    private opts: { clock?: Clock; limits?: Partial<Limits>; onChange?: () => void; onSent?: (bytes: number) => void } = {},
  ) {}

  /** A new agent connection. */
  attach(socket: AgentSocket, connectedAt: number): void {
    const attachment: Attachment = { connectedAt, seq: this.nextSeq++ }
    socket.serializeAttachment(attachment)
    this.entryFor(socket)
  }

  /** A socket that outlived the object (hibernation): its session is rebuilt from the attachment. */
  restore(socket: AgentSocket): void {
    this.entryFor(socket)
  }

  /** Every message from an agent socket; recreates the session after hibernation. */
  message(socket: AgentSocket, data: string | ArrayBuffer): void {
    const e = this.entryFor(socket)
    e.heard = true
    e.session.receive(data)
  }

  /**
   * Closes the sessions that have shown no sign of life for `timeoutMs` — no keepalive answered for them
   * (`lastPing`, the runtime's auto-response time: agents ping every 10 s whatever they do) and no message
   * since this instance started — the way an agent gives up on a silent edge. A frozen agent or a half-open
   * link with no request waiting has no other way to end. Returns how many were closed.
   */
  expireSilent(now: number, timeoutMs: number, lastPing: (socket: AgentSocket) => number | undefined): number {
    let closed = 0
    for (const e of [...this.entries.values()]) {
      const last = Math.max(e.attachment.connectedAt, lastPing(e.socket) ?? 0, e.heard ? e.session.lastReceivedAt : 0)
      if (now - last <= timeoutMs) continue
      const reason = `no keepalive from the agent for ${Math.round((now - last) / 1000)} s`
      if (!e.session.closed) e.session.close('PING_TIMEOUT', reason)
      this.closed(e.socket, reason)
      closed++
    }
    return closed
  }

  /** The socket closed or errored: fail its streams at once. */
  closed(socket: AgentSocket, reason: string): void {
    const e = this.entries.get(socket)
    if (!e) return
    this.entries.delete(socket)
    if (!e.session.closed) e.session.close('SESSION_CLOSED', reason)
    this.opts.onChange?.()
  }

  /** The session a new stream should use, or undefined when no agent is connected. */
  pick(): TunnelSession | undefined {
    const best = this.leastBusy()
    if (best) this.reserveStreamId(best)
    return best?.session
  }

  private leastBusy(): Entry | undefined {
    let best: Entry | undefined
    for (const e of this.entries.values()) {
      if (e.session.closed || !e.attachment.hello) continue
      if (!best || e.session.streamCount < best.session.streamCount) best = e
    }
    return best
  }

  private reserveStreamId(e: Entry): void {
    const next = e.session.nextStreamId
    if (e.attachment.streamIdCeiling !== undefined && next < e.attachment.streamIdCeiling) return
    e.attachment.streamIdCeiling = next + STREAM_ID_BLOCK
    e.socket.serializeAttachment(e.attachment)
  }

  get connected(): boolean {
    return this.leastBusy() !== undefined
  }

  status(): TunnelStatus {
    const sessions: SessionStatus[] = []
    let facts: ClusterFacts | undefined
    let factsAt = -1
    for (const e of this.entries.values()) {
      const { hello, connectedAt } = e.attachment
      if (!hello || e.session.closed) continue
      sessions.push({
        sessionId: hello.sessionId,
        replicaId: hello.replicaId,
        agentVersion: hello.agentVersion,
        connectedSince: new Date(connectedAt).toISOString(),
        lastMessageAt: new Date(e.session.lastReceivedAt).toISOString(),
        streams: e.session.streamCount,
      })
      if (e.attachment.facts && connectedAt > factsAt) {
        facts = e.attachment.facts
        factsAt = connectedAt
      }
    }
    return { clusterId: this.clusterId, connected: sessions.length > 0, sessions, ...(facts ? { facts } : {}) }
  }

  private entryFor(socket: AgentSocket): Entry {
    const known = this.entries.get(socket)
    if (known) return known
    const attachment = (socket.deserializeAttachment() as Attachment | null) ?? { connectedAt: (this.opts.clock ?? systemClock).now() }
    this.nextSeq = Math.max(this.nextSeq, (attachment.seq ?? 0) + 1)
    const entry: Entry = { socket, attachment, session: undefined as unknown as TunnelSession }
    entry.session = new TunnelSession({
      role: 'edge',
      transport: {
        send: (m) => {
          this.opts.onSent?.(typeof m === 'string' ? m.length : m.byteLength)
          socket.send(m)
        },
        close: (code, reason) => socket.close(code, reason),
      },
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.limits ? { limits: this.opts.limits } : {}),
      onHello: (hello) => this.hello(entry, hello),
      onFacts: (facts) => {
        entry.attachment.facts = facts
        socket.serializeAttachment(entry.attachment)
        this.opts.onChange?.()
      },
      onClose: (err: TunnelError) => this.closed(socket, err.message),
      // Resuming after hibernation: the hello is known and ids already used on this socket are skipped.
      ...(attachment.hello ? { hello: attachment.hello } : {}),
      ...(attachment.streamIdCeiling ? { firstStreamId: attachment.streamIdCeiling } : {}),
      // Used once the agent's hello says it accepts BATCH: frames written in one turn leave as one message.
      batch: (flush) => queueMicrotask(flush),
    })
    this.entries.set(socket, entry)
    return entry
  }

  private hello(entry: Entry, hello: Hello): void {
    const seq = entry.attachment.seq ?? 0
    for (const other of this.entries.values()) {
      if (other === entry || other.attachment.hello?.replicaId !== hello.replicaId) continue
      if ((other.attachment.seq ?? 0) > seq) {
        // A hello that comes late on an older connection (held up on a slow link while the agent gave up on
        // it and dialled again) is the stale one: it must not take the replica's place from the live session.
        entry.session.close('SUPERSEDED', `replica ${hello.replicaId} has a newer connection`)
        this.entries.delete(entry.socket)
        return
      }
      // Closing the session closes its socket with the SUPERSEDED close code.
      other.session.close('SUPERSEDED', `replica ${hello.replicaId} reconnected`)
      this.entries.delete(other.socket)
    }
    entry.attachment.hello = hello
    entry.socket.serializeAttachment(entry.attachment)
    this.opts.onChange?.()
  }
}
