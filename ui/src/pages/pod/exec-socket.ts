// A shell in a pod over the Kubernetes exec WebSocket (`v5.channel.k8s.io`, which the edge and the agent
// pass through as they do for kubectl): each binary message starts with its channel — 0 stdin, 1 stdout,
// 2 stderr, 3 the command's final status (JSON), 4 terminal size (JSON `{"Width","Height"}`), 255 close a
// channel. A drop without a final status is a lost connection: a new exec session opens after a growing
// pause (1 s, 2 s, 4 s … 10 s), unless `check` says there is no point (the pod is gone, RBAC refuses).
// A final status means the shell itself ended: no reconnection until asked.

export const SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
const STDIN = 0
const STDOUT = 1
const STDERR = 2
const STATUS = 3
const RESIZE = 4
const CLOSE = 255
const MAX_BACKOFF_MS = 10_000

export type ShellState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; inMs: number }
  | { kind: 'exited'; message: string }
  | { kind: 'failed'; message: string }

export interface ExecOptions {
  cluster: string
  namespace: string
  name: string
  container: string
  command: string[]
  onOutput(bytes: Uint8Array): void
  onState(state: ShellState): void
  size(): { cols: number; rows: number }
  /** Why reconnecting is pointless (the pod is gone, exec is forbidden), or undefined to try again. */
  check(): Promise<string | undefined>
}

export function execUrl(o: Pick<ExecOptions, 'cluster' | 'namespace' | 'name' | 'container' | 'command'>, base: Location | URL = location): string {
  const params = new URLSearchParams()
  for (const c of o.command) params.append('command', c)
  params.set('container', o.container)
  params.set('stdin', 'true')
  params.set('stdout', 'true')
  params.set('tty', 'true') // a TTY merges stderr into stdout
  const seg = encodeURIComponent
  const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${base.host}/k8s/clusters/${seg(o.cluster)}/api/v1/namespaces/${seg(o.namespace)}/pods/${seg(o.name)}/exec?${params}`
}

/** The final status's message: empty for success, else why the command ended as it did. */
export function statusMessage(json: string): string {
  try {
    const s = JSON.parse(json) as { status?: string; message?: string }
    return s.status === 'Success' ? '' : (s.message ?? 'the command failed')
  } catch {
    return json
  }
}

export class ExecSession {
  private ws: WebSocket | undefined
  private attempt = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private readonly encoder = new TextEncoder()

  constructor(private readonly o: ExecOptions) {}

  connect(): void {
    clearTimeout(this.timer)
    this.ws?.close()
    this.closed = false
    this.o.onState({ kind: 'connecting' })
    const ws = new WebSocket(execUrl(this.o), SUBPROTOCOLS)
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    let status: string | undefined
    ws.onopen = () => {
      this.attempt = 0
      this.o.onState({ kind: 'connected' })
      const { cols, rows } = this.o.size()
      this.resize(cols, rows)
    }
    ws.onmessage = (e: MessageEvent) => {
      if (!(e.data instanceof ArrayBuffer)) return
      const bytes = new Uint8Array(e.data)
      const channel = bytes[0]
      if (channel === STDOUT || channel === STDERR) this.o.onOutput(bytes.subarray(1))
      else if (channel === STATUS) status = (status ?? '') + new TextDecoder().decode(bytes.subarray(1))
    }
    ws.onclose = () => {
      if (ws !== this.ws || this.closed) return
      this.ws = undefined
      if (status !== undefined) {
        const why = statusMessage(status)
        this.o.onState({ kind: 'exited', message: why ? `The shell ended: ${why}` : 'The shell exited.' })
        return
      }
      void this.retry()
    }
  }

  private async retry(): Promise<void> {
    const fatal = await this.o.check().catch(() => undefined)
    if (this.closed) return
    if (fatal) {
      this.o.onState({ kind: 'failed', message: fatal })
      return
    }
    const inMs = Math.min(1000 * 2 ** this.attempt, MAX_BACKOFF_MS)
    this.attempt++
    this.o.onState({ kind: 'reconnecting', attempt: this.attempt, inMs })
    this.timer = setTimeout(() => this.connect(), inMs)
  }

  private send(channel: number, payload: Uint8Array): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return
    const frame = new Uint8Array(payload.length + 1)
    frame[0] = channel
    frame.set(payload, 1)
    this.ws.send(frame)
  }

  input(data: string): void {
    this.send(STDIN, this.encoder.encode(data))
  }

  resize(cols: number, rows: number): void {
    if (cols > 0 && rows > 0) this.send(RESIZE, this.encoder.encode(JSON.stringify({ Width: cols, Height: rows })))
  }

  /** Ends the session: stdin is closed (v5), then the socket; no reconnection. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    if (this.ws?.protocol === 'v5.channel.k8s.io') this.send(CLOSE, new Uint8Array([STDIN]))
    this.ws?.close()
    this.ws = undefined
  }
}
