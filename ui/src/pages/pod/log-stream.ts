// A pod's log as the page holds it: read from `…/pods/<name>/log` with fetch and a ReadableStream (the
// cookie session; the edge streams the apiserver's chunked answer as it comes), split into lines, and
// kept in a bounded buffer so a chatty pod cannot grow the tab without limit. Lines are always asked for
// with their timestamps: the page shows or hides them, and a paused log resumes from the last one seen.
import { HttpError } from '../../api/http.ts'

export interface LogLine {
  /** The kubelet's RFC 3339 timestamp of the line ('' when the line came without one). */
  ts: string
  text: string
}

export interface LogQuery {
  container: string
  follow: boolean
  tailLines?: number
  /** Resume: lines at or after this time (the apiserver reads it to the second). */
  sinceTime?: string
}

/** The newest `max` lines; older ones fall off the front. */
export class LogBuffer {
  lines: LogLine[] = []
  /** How many lines fell off the front since the last clear. */
  dropped = 0
  constructor(readonly max: number) {}

  push(lines: readonly LogLine[]): void {
    for (const l of lines) this.lines.push(l)
    const over = this.lines.length - this.max
    if (over > 0) {
      this.lines.splice(0, over)
      this.dropped += over
    }
  }

  clear(): void {
    this.lines = []
    this.dropped = 0
  }

  /** The lines as a file: one per line, with their timestamps or without. */
  text(timestamps: boolean): string {
    return this.lines.map((l) => (timestamps && l.ts ? `${l.ts} ${l.text}` : l.text)).join('\n') + (this.lines.length ? '\n' : '')
  }
}

/** `2026-12-05T11:00:00.1Z` → a key that sorts as time does (fraction padded to nanoseconds). */
export function timeKey(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts)
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : ts
}

export function parseLine(raw: string): LogLine {
  const space = raw.indexOf(' ')
  const ts = space > 0 ? raw.slice(0, space) : ''
  if (/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(ts)) return { ts, text: raw.slice(space + 1) }
  return { ts: '', text: raw }
}

/**
 * Drops what a resumed stream sends again: `sinceTime` has whole seconds, so the lines of the last
 * second already held come back; those of the same time and text are skipped.
 */
export function resumeFilter(held: readonly LogLine[]): (l: LogLine) => boolean {
  const last = held.at(-1)
  if (!last?.ts) return () => true
  const lastKey = timeKey(last.ts)
  const seen = new Set<string>()
  for (let i = held.length - 1; i >= 0 && timeKey(held[i]!.ts) === lastKey; i--) seen.add(held[i]!.text)
  let caughtUp = false
  return (l) => {
    if (caughtUp || !l.ts) return true
    const key = timeKey(l.ts)
    if (key < lastKey || (key === lastKey && seen.has(l.text))) return false
    caughtUp = key > lastKey
    return true
  }
}

export function logUrl(cluster: string, namespace: string, name: string, q: LogQuery): string {
  const params = new URLSearchParams({ container: q.container, timestamps: 'true' })
  if (q.follow) params.set('follow', 'true')
  if (q.tailLines !== undefined) params.set('tailLines', String(q.tailLines))
  if (q.sinceTime) params.set('sinceTime', q.sinceTime.replace(/\.\d+Z$/, 'Z'))
  const seg = encodeURIComponent
  return `/k8s/clusters/${seg(cluster)}/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}/log?${params}`
}

async function refusal(res: Response): Promise<HttpError> {
  const text = await res.text().catch(() => '')
  let message = ''
  try {
    const body = JSON.parse(text) as { message?: unknown }
    if (typeof body.message === 'string') message = body.message
  } catch {
    message = text.slice(0, 500)
  }
  return new HttpError(res.status, message || `${res.status} ${res.statusText}`)
}

/**
 * Reads the log until it ends (or `signal` aborts), handing each chunk's complete lines to `onLines`.
 * Rejects with an HttpError carrying the apiserver's message when the request is refused.
 */
export async function readLog(url: string, onLines: (lines: LogLine[]) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { credentials: 'same-origin', signal, headers: { accept: 'text/plain, application/json' } })
  if (!res.ok) throw await refusal(res)
  if (!res.body) return
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let partial = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const parts = (partial + value).split('\n')
    partial = parts.pop() ?? ''
    if (parts.length) onLines(parts.map(parseLine))
  }
  if (partial) onLines([parseLine(partial)])
}
