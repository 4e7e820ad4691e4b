// One `/v1/subscribe` WebSocket per page load, shared by every live list. The socket is same-origin, so the
// browser sends the R_SESS cookie and an Origin header the edge checks on the upgrade. It reconnects with
// jittered backoff when it drops, re-sends every subscription, and tells each watcher to re-list (events
// may have been missed while it was down). `liveState` feeds the visible connection indicator.
import { signal } from '@preact/signals'
import type { SteveEvent, Subscription } from '../../../protocol/api/steve/subscribe.ts'

/** `idle` until a page subscribes to something. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting'
export const liveState = signal<LiveState>('idle')

export interface Watcher {
  /** A create, change or remove of one object. */
  event(e: SteveEvent): void
  /** Events may have been lost (reconnect, the server stopped the subscription): read the list again. */
  resync(): void
}

interface Entry {
  sub: Subscription
  watchers: Set<Watcher>
}

const entries = new Map<string, Entry>()
let socket: WebSocket | undefined
let attempt = 0
let timer: ReturnType<typeof setTimeout> | undefined

const keyOf = (s: Subscription) => JSON.stringify([s.resourceType, s.namespace ?? '', s.id ?? '', s.selector ?? ''])

function send(message: object): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
}

function connect(): void {
  clearTimeout(timer)
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/subscribe`)
  socket = ws
  liveState.value = attempt === 0 ? 'connecting' : 'reconnecting'
  ws.addEventListener('open', () => {
    const reconnected = attempt > 0
    attempt = 0
    liveState.value = 'live'
    for (const e of entries.values()) {
      send(e.sub)
      if (reconnected) for (const w of e.watchers) w.resync()
    }
  })
  ws.addEventListener('message', (m) => {
    let e: SteveEvent
    try {
      e = JSON.parse(String(m.data)) as SteveEvent
    } catch {
      return
    }
    const entry = e.resourceType ? entries.get(keyOf(e as Subscription)) : undefined
    if (!entry) return
    if (e.name === 'resource.stop') {
      // The server ended this subscription (a slow reader cut off, the change stream restarted): start over.
      // A refusal (resource.error without a stop) is not retried: asking again would be refused again.
      setTimeout(() => entries.has(keyOf(entry.sub)) && send(entry.sub), 1000)
      for (const w of entry.watchers) w.resync()
      return
    }
    if (e.name === 'resource.create' || e.name === 'resource.change' || e.name === 'resource.remove') for (const w of entry.watchers) w.event(e)
  })
  ws.addEventListener('close', () => {
    if (socket !== ws) return
    socket = undefined
    if (entries.size === 0) return
    liveState.value = 'reconnecting'
    // 0.5 s doubling to 30 s, with jitter so a restarted edge is not met by every tab at once.
    const delay = Math.min(30_000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2)
    timer = setTimeout(connect, delay)
  })
}

/** Watches a subscription until the returned function is called. */
export function watch(sub: Subscription, watcher: Watcher): () => void {
  const key = keyOf(sub)
  let entry = entries.get(key)
  if (!entry) {
    entry = { sub, watchers: new Set() }
    entries.set(key, entry)
    send(sub)
  }
  entry.watchers.add(watcher)
  if (!socket) connect()
  return () => {
    const e = entries.get(key)
    if (!e) return
    e.watchers.delete(watcher)
    if (e.watchers.size === 0) {
      entries.delete(key)
      send({ ...e.sub, stop: true })
    }
  }
}
