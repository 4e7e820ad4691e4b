// `/v1/subscribe`: Steve's live events over a WebSocket the worker holds (cookie or bearer, like any
// `/v1` call; the origin rule for cookie-authenticated upgrades applies, identity/origin-check.ts). Each
// subscription reads the cluster list index's change stream for its type (objects/cache/change-streams.ts)
// and the worker decides, change by change, what this caller may see: the namespaces where the apiserver
// allows them `watch` (access.ts), asked again every ACCESS_CACHE_MS for as long as the socket lives, so a
// removed RoleBinding stops events within the revocation bound — the check Rancher's watches skipped
// (CVE-2024-52280). The credential itself is re-checked by the stream guard (the socket closes with 1008
// when it is revoked). A socket whose client does not read is not buffered without bound: past
// MAX_BUFFERED bytes unsent its subscriptions stop with `resource.stop`, as Steve drops slow consumers.
import {
  ChangeNotifier,
  changesEvent,
  errorEvent,
  eventMatches,
  formatResource,
  parseClientMessage,
  parseLabelSelector,
  pingEvent,
  PING_INTERVAL_MS,
  MAX_SUBSCRIPTIONS,
  resourceEvent,
  SteveError,
  startEvent,
  stopEvent,
  subscriptionKey,
  tooOldMessage,
  type LabelSelector,
  type SteveEvent,
  type Subscription,
} from '../../protocol/api/steve/index.ts'
import { isRedacted } from '../../objects/cache/redact.ts'
import { systemClock, type Clock } from '../../protocol/tunnel/clock.ts'
import { ACCESS_CACHE_MS, allowsObject, isEmpty, namespaceAccess, verbsOn, type NamespaceAccess } from './access.ts'
import { typeFor, typeRef, type SteveType } from './discovery.ts'
import { isRecord } from './kube-json.ts'
import { LINK_VERBS } from './list.ts'
import type { ClusterScope, V1Context } from './scope.ts'
import { getObject } from './table.ts'

/** Bytes a socket may hold unsent before its subscriptions are stopped. */
export const MAX_BUFFERED = 1024 * 1024

type Obj = Record<string, unknown>

interface Line {
  change?: { kind: 'create' | 'change' | 'remove'; revision: string; id: string; namespace: string | null; object: Obj; cells: unknown[] | null }
  tooOld?: { oldest: string }
  stopped?: { reason: string }
}

interface Active {
  sub: Subscription
  selector: LabelSelector
  type: SteveType
  access: NamespaceAccess
  links: (namespace: string | undefined) => string[]
  reader?: ReadableStreamDefaultReader<string>
  notifier?: ChangeNotifier
  done: boolean
}

/** Answers the upgrade; the session lives as long as the socket. */
export function subscribeAnswer(c: V1Context, clock: Clock = systemClock): Response {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw SteveError.of('BadRequest', '/v1/subscribe is a WebSocket: connect with an Upgrade: websocket request')
  }
  const pair = new WebSocketPair()
  const [client, server] = [pair[0], pair[1]]
  server.accept()
  new SubscribeSession(c.var.scope, server, clock).start()
  return new Response(null, { status: 101, webSocket: client })
}

export class SubscribeSession {
  private readonly subs = new Map<string, Active>()
  /** The running timer of each periodic job (ping, access refresh). */
  private readonly timers = new Map<string, unknown>()
  private closed = false

  constructor(
    private readonly scope: ClusterScope,
    private readonly socket: WebSocket,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.socket.addEventListener('message', (e) => void this.onMessage(e.data))
    this.socket.addEventListener('close', () => this.close())
    this.socket.addEventListener('error', () => this.close())
    this.every('ping', PING_INTERVAL_MS, () => this.send(pingEvent()))
    this.every('access', ACCESS_CACHE_MS, () => void this.refreshAccess())
  }

  private every(name: string, ms: number, fn: () => void): void {
    const tick = () => {
      if (this.closed) return
      fn()
      this.timers.set(name, this.clock.setTimeout(tick, ms))
    }
    this.timers.set(name, this.clock.setTimeout(tick, ms))
  }

  private async onMessage(data: unknown): Promise<void> {
    if (typeof data !== 'string') return this.send(errorEvent(undefined, 'subscribe messages are JSON text'))
    let message
    try {
      message = parseClientMessage(data)
    } catch (e) {
      return this.send(errorEvent(undefined, e instanceof Error ? e.message : String(e)))
    }
    const key = subscriptionKey(message.sub)
    if (message.stop) return this.stop(key)
    if (this.subs.has(key)) return
    if (this.subs.size >= MAX_SUBSCRIPTIONS) return this.send(errorEvent(message.sub, `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`))
    await this.add(key, message.sub)
  }

  private async add(key: string, sub: Subscription): Promise<void> {
    let active: Active
    try {
      const type = await typeFor(this.scope, sub.resourceType)
      if (!type.verbs.includes('watch')) throw SteveError.of('MethodNotAllowed', `${type.id} cannot be watched`)
      const [access, links] = await Promise.all([namespaceAccess(this.scope, type, 'watch'), verbsOn(this.scope, type, LINK_VERBS)])
      if (isEmpty(access)) throw SteveError.of('PermissionDenied', `you may not watch ${type.pluralId} in cluster ${this.scope.cluster}`)
      if (!this.scope.index) throw new SteveError(503, 'ServiceUnavailable', 'this edge has no list index to subscribe to')
      active = { sub, selector: sub.selector ? parseLabelSelector(sub.selector) : [], type, access, links, done: false }
    } catch (e) {
      this.send(errorEvent(sub, e instanceof Error ? e.message : String(e)))
      return
    }
    if (this.closed || this.subs.has(key)) return
    this.subs.set(key, active)
    if (sub.mode === 'resource.changes') {
      active.notifier = new ChangeNotifier(sub.debounceMs, this.clock, (revision) => this.send(changesEvent(sub, revision)))
    }
    try {
      const spec = { group: active.type.group, version: active.type.version, plural: active.type.plural, kind: active.type.kind, namespaced: active.type.namespaced }
      const stream = await this.scope.index!.changeStream(this.scope.cluster, spec, sub.resourceVersion)
      active.reader = stream.pipeThrough(new TextDecoderStream()).getReader()
    } catch (e) {
      this.send(errorEvent(sub, `cluster ${this.scope.cluster}: ${e instanceof Error ? e.message : String(e)}`))
      this.stop(key)
      return
    }
    if (active.done) return void active.reader.cancel().catch(() => {})
    this.send(startEvent(sub))
    void this.pump(key, active)
  }

  private async pump(key: string, active: Active): Promise<void> {
    const reader = active.reader!
    let text = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done || active.done) break
        text += value
        let nl
        while ((nl = text.indexOf('\n')) >= 0) {
          const line = JSON.parse(text.slice(0, nl)) as Line
          text = text.slice(nl + 1)
          if (line.tooOld) {
            this.send(errorEvent(active.sub, tooOldMessage(active.sub.resourceVersion ?? '', line.tooOld.oldest)))
          } else if (line.change) {
            await this.deliver(active, line.change)
          }
          if (!this.roomLeft()) {
            // The client is not reading: stop rather than hold its events without bound.
            for (const k of [...this.subs.keys()]) this.stop(k)
            return
          }
        }
      }
    } catch (e) {
      if (!active.done) this.send(errorEvent(active.sub, `the change stream failed: ${e instanceof Error ? e.message : String(e)}`))
    }
    // The stream ended (too old, a slow subscriber cut off, the index going away): the client re-subscribes.
    this.stop(key)
  }

  private async deliver(active: Active, change: NonNullable<Line['change']>): Promise<void> {
    const { sub, type } = active
    const namespace = change.namespace ?? undefined
    const metadata = isRecord(change.object.metadata) ? change.object.metadata : {}
    const labels = isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : undefined
    if (!allowsObject(active.access, type, { namespace, name: String(metadata.name ?? '') })) return
    if (!eventMatches(sub, active.selector, { id: change.id, namespace, ...(labels ? { labels } : {}) }, 'all')) return
    if (active.notifier) return active.notifier.changed(change.revision)
    let object = change.object
    let cells = change.cells ?? undefined
    if (isRedacted(type) && change.kind !== 'remove') {
      // The index keeps these without their values: the caller gets the object as the apiserver gives it to them.
      try {
        const page = await getObject(this.scope.user, type, String(metadata.name ?? ''), namespace)
        const row = page.rows[0]
        if (!row) return
        object = row.object
        cells = row.cells
      } catch {
        return
      }
    }
    const data = formatResource(object, { type: typeRef(type), v1Url: this.scope.v1Url, kubeUrl: this.scope.kubeUrl, verbs: active.links(namespace), ...(cells ? { cells } : {}) })
    this.send(resourceEvent(`resource.${change.kind}`, sub, change.revision, data))
  }

  /** Asks again where each subscription's caller may watch (the answers live ACCESS_CACHE_MS). */
  private async refreshAccess(): Promise<void> {
    this.scope.memo.clear()
    for (const [key, active] of this.subs) {
      try {
        const [access, links] = await Promise.all([namespaceAccess(this.scope, active.type, 'watch'), verbsOn(this.scope, active.type, LINK_VERBS)])
        active.access = access
        active.links = links
        if (isEmpty(access)) {
          this.send(errorEvent(active.sub, `you may no longer watch ${active.type.pluralId} in cluster ${this.scope.cluster}`))
          this.stop(key)
        }
      } catch {
        // Unknown is not allowed: show nothing until the next answer.
        active.access = []
      }
    }
  }

  private roomLeft(): boolean {
    const buffered = (this.socket as { bufferedAmount?: number }).bufferedAmount
    return buffered === undefined || buffered <= MAX_BUFFERED
  }

  private stop(key: string): void {
    const active = this.subs.get(key)
    if (!active || active.done) return
    active.done = true
    this.subs.delete(key)
    active.notifier?.stop()
    void active.reader?.cancel().catch(() => {})
    this.send(stopEvent(active.sub))
  }

  private send(event: SteveEvent): void {
    if (this.closed) return
    try {
      this.socket.send(JSON.stringify(event))
    } catch {
      this.close()
    }
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers.values()) this.clock.clearTimeout(t)
    for (const active of this.subs.values()) {
      active.done = true
      active.notifier?.stop()
      void active.reader?.cancel().catch(() => {})
    }
    this.subs.clear()
    try {
      this.socket.close(1000, 'bye')
    } catch {
      /* already closed */
    }
  }
}
