// A `/v1/subscribe` WebSocket per cluster (`/k8s/clusters/<id>/v1/subscribe`), opened on first use and
// shared by every live list of that cluster, the way api/live.ts shares the management cluster's. Same
// contract: same-origin (the browser sends the R_SESS cookie and an Origin header the edge checks), one
// subscription per (type, namespace, id, selector) however many lists watch it, jittered reconnects that
// re-send every subscription and tell each watcher to re-list, and a `state` signal for the page.
import { signal, type Signal } from '@preact/signals'
import type { SteveEvent, Subscription } from '../../../protocol/api/steve/subscribe.ts'
import type { LiveState, Watcher } from './live.ts'

export type { Watcher } from './live.ts'

interface Entry {
  sub: Subscription
  watchers: Set<Watcher>
}

const keyOf = (s: { resourceType?: string; namespace?: string; id?: string; selector?: string }) =>
  JSON.stringify([s.resourceType ?? '', s.namespace ?? '', s.id ?? '', s.selector ?? ''])

/** One subscribe socket at `path` (same origin). Closes itself when nothing is watched any more. */
export class LiveSocket {
  readonly state: Signal<LiveState> = signal('idle')
  private readonly entries = new Map<string, Entry>()
  private socket: WebSocket | undefined
  private attempt = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly path: string) {}

  /** Watches a subscription until the returned function is called. */
  watch(sub: Subscription, watcher: Watcher): () => void {
    const key = keyOf(sub)
    let entry = this.entries.get(key)
    if (!entry) {
      entry = { sub, watchers: new Set() }
      this.entries.set(key, entry)
      this.send(sub)
    }
    entry.watchers.add(watcher)
    if (!this.socket) this.connect()
    return () => {
      const e = this.entries.get(key)
      if (!e) return
      e.watchers.delete(watcher)
      if (e.watchers.size > 0) return
      this.entries.delete(key)
      this.send({ ...e.sub, stop: true })
      if (this.entries.size === 0) this.close()
    }
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message))
  }

  private close(): void {
    clearTimeout(this.timer)
    const ws = this.socket
    this.socket = undefined
    this.attempt = 0
    this.state.value = 'idle'
    ws?.close()
  }

  private connect(): void {
    clearTimeout(this.timer)
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.path}`)
    this.socket = ws
    this.state.value = this.attempt === 0 ? 'connecting' : 'reconnecting'
    ws.addEventListener('open', () => {
      const reconnected = this.attempt > 0
      this.attempt = 0
      this.state.value = 'live'
      for (const e of this.entries.values()) {
        this.send(e.sub)
        if (reconnected) for (const w of e.watchers) w.resync()
      }
    })
    ws.addEventListener('message', (m) => this.dispatch(m.data))
    ws.addEventListener('close', () => {
      if (this.socket !== ws) return
      this.socket = undefined
      if (this.entries.size === 0) return
      this.state.value = 'reconnecting'
      // 0.5 s doubling to 30 s, with jitter so a restarted edge is not met by every tab at once.
      const delay = Math.min(30_000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2)
      this.timer = setTimeout(() => this.connect(), delay)
    })
  }

  private dispatch(data: unknown): void {
    let e: SteveEvent
    try {
      e = JSON.parse(String(data)) as SteveEvent
    } catch {
      return
    }
    const entry = e.resourceType ? this.entries.get(keyOf(e)) : undefined
    if (!entry) return
    if (e.name === 'resource.stop') {
      // The server ended this subscription (a slow reader cut off, the change stream restarted): start over.
      setTimeout(() => this.entries.get(keyOf(entry.sub)) === entry && this.send(entry.sub), 1000)
      for (const w of entry.watchers) w.resync()
      return
    }
    if (e.name === 'resource.create' || e.name === 'resource.change' || e.name === 'resource.remove') for (const w of entry.watchers) w.event(e)
  }
}

const sockets = new Map<string, LiveSocket>()

/** The subscribe socket of cluster `id` (one per page load). */
export function clusterLive(id: string): LiveSocket {
  let s = sockets.get(id)
  if (!s) {
    s = new LiveSocket(`/k8s/clusters/${encodeURIComponent(id)}/v1/subscribe`)
    sockets.set(id, s)
  }
  return s
}
