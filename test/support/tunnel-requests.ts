import type { Identity, RequestHead, TunnelSocket } from '../../protocol/tunnel/index.ts'

// Requests and sockets for driving the agent's stream handler (agent/upstream.ts) by hand.

export const ADMIN: Identity = { user: 'drover-admin', groups: ['system:masters'], extra: {} }

export function getHead(path: string, identity: Identity = ADMIN, headers: [string, string][] = []): RequestHead {
  return { method: 'GET', path, headers, identity }
}

/** A handler's body as text: a stream, or the bytes of an answer that arrived whole. */
export async function readText(body: ReadableStream<Uint8Array> | Uint8Array | null | undefined): Promise<string> {
  if (!body) return ''
  if (body instanceof Uint8Array) return new TextDecoder().decode(body)
  return new Response(body).text()
}

export async function readJson<T = unknown>(body: ReadableStream<Uint8Array> | Uint8Array | null | undefined): Promise<T> {
  return JSON.parse(await readText(body)) as T
}

export function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder()
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(enc.encode(next))
    },
  })
}

/** A TunnelSocket that records what the upstream side sends and lets a test play the client. */
export class RecordingSocket implements TunnelSocket {
  readonly sent: (string | Uint8Array)[] = []
  closed?: { code?: number; reason?: string }
  bufferedAmount = 0
  onmessage?: (data: string | Uint8Array) => void
  onclose?: (code: number, reason: string) => void
  private waiters: (() => void)[] = []

  send(data: string | Uint8Array): void {
    this.sent.push(data)
    this.wake()
  }

  close(code?: number, reason?: string): void {
    this.closed = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) }
    this.wake()
  }

  /** Resolves once `done()` holds, re-checked on every send or close. */
  async until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the tunnel socket')
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
