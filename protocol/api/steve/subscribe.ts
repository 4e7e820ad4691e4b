/**
 * `/v1/subscribe`, pure: what a client may ask, what the server sends, and the `resource.changes`
 * debouncer. The shapes are rancher/apiserver's (pkg/subscribe, APIEvent): a client sends
 * `{resourceType, namespace?, id?, selector?, resourceVersion?, mode?, debounceMs?}` or the same with
 * `stop: true`; the server sends `{name, resourceType, namespace?, id?, selector?, revision?, mode?, data?}`
 * with `name` one of resource.start/create/change/remove/stop/error, resource.changes, or ping (every 30 s).
 * An error's `data` is `{error: message}`; a resume from a revision that has left the kept window is such an
 * error whose message says "too old", the text the dashboard re-lists on.
 */
import { SteveError } from './error.ts'
import { parseLabelSelector, selectorMatches, type LabelSelector } from './label-selector.ts'
import type { Clock } from '../../tunnel/clock.ts'

export const PING_INTERVAL_MS = 30_000
/** Steve's default for `resource.changes` when the client names none. */
export const DEFAULT_DEBOUNCE_MS = 5_000
/** Bounds a client cannot go past: a debounce of hours would hide changes; a tiny one is a flood. */
export const MIN_DEBOUNCE_MS = 50
export const MAX_DEBOUNCE_MS = 60_000
/** Client messages are small JSON; anything longer is refused before parsing. */
export const MAX_CLIENT_MESSAGE = 8 * 1024
/** Per socket: more subscriptions than this is a client bug or an attack. */
export const MAX_SUBSCRIPTIONS = 256
export const TOO_OLD = 'too old'

export type SubscribeMode = 'resource.changes' | undefined

export interface Subscription {
  resourceType: string
  namespace?: string
  id?: string
  selector?: string
  resourceVersion?: string
  mode?: SubscribeMode
  debounceMs?: number
}

export type ClientMessage = { stop: false; sub: Subscription } | { stop: true; sub: Subscription }

export type EventName =
  | 'resource.start'
  | 'resource.create'
  | 'resource.change'
  | 'resource.remove'
  | 'resource.stop'
  | 'resource.error'
  | 'resource.changes'
  | 'ping'

export interface SteveEvent {
  name: EventName
  resourceType?: string
  namespace?: string
  id?: string
  selector?: string
  revision?: string
  mode?: string
  data?: unknown
}

function bad(message: string): SteveError {
  return SteveError.of('BadRequest', message)
}

function optionalString(o: Record<string, unknown>, key: string, max = 1024): string | undefined {
  const v = o[key]
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw bad(`"${key}" must be a string`)
  if (v.length > max) throw bad(`"${key}" is longer than ${max} characters`)
  return v
}

/** One message from a client, or a SteveError naming what is wrong with it (sent back as resource.error). */
export function parseClientMessage(text: string): ClientMessage {
  if (text.length > MAX_CLIENT_MESSAGE) throw bad(`a subscribe message is at most ${MAX_CLIENT_MESSAGE} bytes`)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw bad('a subscribe message must be a JSON object')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('a subscribe message must be a JSON object')
  const o = raw as Record<string, unknown>
  const resourceType = optionalString(o, 'resourceType', 253)
  if (!resourceType) throw bad('"resourceType" is required')
  const sub: Subscription = { resourceType }
  const namespace = optionalString(o, 'namespace', 253)
  if (namespace) sub.namespace = namespace
  const id = optionalString(o, 'id', 507)
  if (id) sub.id = id
  const selector = optionalString(o, 'selector', 4096)
  if (selector) {
    parseLabelSelector(selector)
    sub.selector = selector
  }
  const rv = optionalString(o, 'resourceVersion', 64)
  if (rv) {
    if (!/^\d+$/.test(rv)) throw bad(`"resourceVersion" must be a revision this server gave out, not "${rv}"`)
    sub.resourceVersion = rv
  }
  const mode = optionalString(o, 'mode', 64)
  if (mode !== undefined && mode !== 'resource.changes') throw bad(`unknown mode "${mode}": only "resource.changes" or none`)
  if (mode) sub.mode = mode
  if (o.debounceMs !== undefined && o.debounceMs !== null) {
    const d = o.debounceMs
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw bad('"debounceMs" must be a whole number of milliseconds')
    sub.debounceMs = d
  }
  if (o.stop !== undefined && typeof o.stop !== 'boolean') throw bad('"stop" must be true or false')
  return { stop: o.stop === true, sub }
}

/** Subscriptions are told apart as Steve does: by type, namespace, id and selector. */
export function subscriptionKey(sub: Subscription): string {
  return JSON.stringify([sub.resourceType, sub.namespace ?? '', sub.id ?? '', sub.selector ?? ''])
}

/** The event fields that name the subscription an event belongs to. */
function about(sub: Subscription): Pick<SteveEvent, 'resourceType' | 'namespace' | 'id' | 'selector' | 'mode'> {
  const e: Pick<SteveEvent, 'resourceType' | 'namespace' | 'id' | 'selector' | 'mode'> = { resourceType: sub.resourceType }
  if (sub.namespace) e.namespace = sub.namespace
  if (sub.id) e.id = sub.id
  if (sub.selector) e.selector = sub.selector
  if (sub.mode) e.mode = sub.mode
  return e
}

export const startEvent = (sub: Subscription): SteveEvent => ({ name: 'resource.start', ...about(sub) })
export const stopEvent = (sub: Subscription): SteveEvent => ({ name: 'resource.stop', ...about(sub) })
export const errorEvent = (sub: Subscription | undefined, message: string): SteveEvent => ({
  name: 'resource.error',
  ...(sub ? about(sub) : {}),
  data: { error: message },
})
export const pingEvent = (): SteveEvent => ({ name: 'ping', data: {} })
/** `mode: "resource.changes"`: something changed up to `revision`; the client re-lists. */
export const changesEvent = (sub: Subscription, revision: string): SteveEvent => ({ name: 'resource.changes', ...about(sub), revision })

export function resourceEvent(name: 'resource.create' | 'resource.change' | 'resource.remove', sub: Subscription, revision: string, data: unknown): SteveEvent {
  return { ...about(sub), name, revision, data }
}

/** A resume from `revision` the server no longer holds: the message clients re-list on. */
export function tooOldMessage(revision: string, oldest: string): string {
  return `${TOO_OLD} resource version: ${revision} (oldest kept: ${oldest})`
}

/** The object an event is about, as much as matching needs. */
export interface EventObject {
  id: string
  namespace?: string
  labels?: Readonly<Record<string, string>>
}

/**
 * Whether an event about `object` goes to `sub`, for a caller who may see `namespaces` ('all', or a set).
 * The permission check comes first and is not optional: Rancher's CVE-2024-52280 was watches that
 * skipped it.
 */
export function eventMatches(sub: Subscription, selector: LabelSelector, object: EventObject, namespaces: 'all' | ReadonlySet<string>): boolean {
  if (namespaces !== 'all' && (object.namespace === undefined || !namespaces.has(object.namespace))) return false
  if (sub.namespace && object.namespace !== sub.namespace) return false
  if (sub.id && object.id !== sub.id) return false
  return selectorMatches(selector, object.labels)
}

/**
 * `mode: "resource.changes"`: the first change is told at once; later ones within `debounceMs` become one
 * notice at the window's end carrying the latest revision. Idle costs nothing (no timer runs).
 */
export class ChangeNotifier {
  private timer: unknown
  private latest: string | undefined
  private told = false
  private readonly debounceMs: number

  constructor(
    debounceMs: number | undefined,
    private readonly clock: Clock,
    private readonly notify: (revision: string) => void,
  ) {
    const d = debounceMs || DEFAULT_DEBOUNCE_MS
    this.debounceMs = Math.min(MAX_DEBOUNCE_MS, Math.max(MIN_DEBOUNCE_MS, d))
  }

  /** A change at `revision`. */
  changed(revision: string): void {
    this.latest = revision
    if (!this.told) {
      this.told = true
      this.notify(revision)
      this.arm()
    }
    // Otherwise the window's timer is running and tells `latest` when it ends.
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      const pending = this.latest
      this.latest = undefined
      if (pending === undefined) {
        // A quiet window: the next change is told at once again.
        this.told = false
        return
      }
      this.notify(pending)
      this.arm()
    }, this.debounceMs)
    this.latest = undefined
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }
}

export { parseLabelSelector, selectorMatches, type LabelSelector }
