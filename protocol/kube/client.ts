// The one Kubernetes client: JSON in, JSON out (timestamps stay strings, unknown fields survive, so
// compare-then-write is exact), any resource type and subresource, over a fetch-shaped Transport.
import { KubeError } from './errors.ts'
import { readLines } from './lines.ts'
import type { KubeList, KubeObject, WatchEvent } from './object.ts'
import { apiVersionOf, resourcePath, type ResourceType } from './resource.ts'
import { KUBE_ORIGIN, MUTATING_METHODS, type Transport } from './transport.ts'

export interface ClientOptions {
  /** Called for every create, update, patch and delete the server accepted (tests and benches count writes). */
  onWrite?: (method: string, path: string) => void
}

export interface SelectorOptions {
  /** Omitted for a namespaced type: every namespace. */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  signal?: AbortSignal
}

export interface ListOptions extends SelectorOptions {
  /** Items per page (default 500), so no single response is unbounded. */
  limit?: number
  /** Resume a paged list (the `continue` token of the previous page). */
  continue?: string
  /** The first page's resourceVersion semantics (`'0'`: any version, e.g. from the watch cache); continued pages name none. */
  resourceVersion?: string
}

export interface WatchOptions extends SelectorOptions {
  resourceVersion?: string
  /** The server ends the watch after this long (client-go uses 5–10 min), so a half-open link cannot go stale forever. */
  timeoutSeconds?: number
  allowWatchBookmarks?: boolean
  /** Cap on one event's size (default 16 MiB). */
  maxEventBytes?: number
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply'

export interface PatchOptions {
  namespace?: string
  subresource?: string
  /** Default `merge` (RFC 7386). `apply` is server-side apply and needs `fieldManager`. */
  type?: PatchType
  fieldManager?: string
  /** Server-side apply: take over fields other managers own. */
  force?: boolean
  signal?: AbortSignal
}

export interface WriteOptions {
  dryRun?: boolean
  fieldManager?: string
  subresource?: string
  signal?: AbortSignal
}

export interface DeleteOptions {
  namespace?: string
  /** Delete only this incarnation / this version (409 Conflict otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string }
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'
  signal?: AbortSignal
}

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
}

const DEFAULT_PAGE = 500
const DEFAULT_MAX_EVENT = 16 * 1024 * 1024

export interface SendOptions {
  body?: unknown
  contentType?: string
  /** Another representation than plain JSON (a Table, aggregated discovery); `application/json` by default. */
  accept?: string
  signal?: AbortSignal
}

export class KubeClient {
  constructor(
    readonly transport: Transport,
    private readonly opts: ClientOptions = {},
  ) {}

  /** The object; a missing one throws KubeError 404 (see `find`). */
  get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string, opts: { subresource?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(type, { namespace, name, subresource: opts.subresource }), { signal: opts.signal })
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends KubeObject>(type: ResourceType, name: string, namespace?: string, opts: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    try {
      return await this.get<T>(type, name, namespace, opts)
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined
      throw e
    }
  }

  /** One page; its `metadata.continue` resumes. List items get their apiVersion and kind filled in. */
  async listPage<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    const q = selectorQuery(opts)
    q.set('limit', String(opts.limit ?? DEFAULT_PAGE))
    if (opts.continue) q.set('continue', opts.continue)
    else if (opts.resourceVersion !== undefined) q.set('resourceVersion', opts.resourceVersion)
    const page = await this.request<KubeList<T>>('GET', `${resourcePath(type, { namespace: opts.namespace })}?${q}`, { signal: opts.signal })
    const apiVersion = apiVersionOf(type)
    page.items = page.items.map((item) => ({ ...item, apiVersion, kind: type.kind }))
    return page
  }

  /** Every page in turn: memory holds one page at a time. */
  async *pages<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): AsyncGenerator<KubeList<T>> {
    let cont = opts.continue
    do {
      const page = await this.listPage<T>(type, { ...opts, continue: cont })
      yield page
      cont = page.metadata.continue || undefined
    } while (cont)
  }

  /** Every object (all pages) and the list's resourceVersion, to start a watch from. */
  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = []
    let resourceVersion = ''
    for await (const page of this.pages<T>(type, opts)) {
      items.push(...page.items)
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion
    }
    return { apiVersion: apiVersionOf(type), kind: `${type.kind}List`, metadata: { resourceVersion }, items }
  }

  /**
   * The events of a watch until the server ends it (the generator returns) or it fails. An ERROR event
   * throws its Status as a KubeError: 410 Gone means relist. Break out of the loop, or abort `signal`,
   * to stop it.
   */
  async *watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const q = selectorQuery(opts)
    q.set('watch', 'true')
    if (opts.resourceVersion) q.set('resourceVersion', opts.resourceVersion)
    if (opts.timeoutSeconds) q.set('timeoutSeconds', String(opts.timeoutSeconds))
    if (opts.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true')
    const path = `${resourcePath(type, { namespace: opts.namespace })}?${q}`
    const res = await this.send('GET', path, { signal: opts.signal })
    if (!res.ok) throw KubeError.fromResponse('GET', path, res.status, await res.text())
    if (!res.body) return
    const apiVersion = apiVersionOf(type)
    for await (const line of readLines(res.body, opts.maxEventBytes ?? DEFAULT_MAX_EVENT)) {
      const ev = JSON.parse(line) as { type: string; object: unknown }
      if (ev.type === 'ERROR') {
        const s = (ev.object ?? {}) as { code?: number; reason?: string; message?: string }
        throw new KubeError(s.code ?? 500, s.reason ?? '', `watch ${type.plural}: ${s.code ?? ''} ${s.reason ?? ''} ${s.message ?? ''}`.trim(), s)
      }
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') continue
      const object = ev.type === 'BOOKMARK' ? (ev.object as T) : ({ ...(ev.object as T), apiVersion, kind: type.kind } as T)
      yield { type: ev.type, object }
    }
  }

  create<T extends KubeObject>(type: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('POST', withQuery(resourcePath(type, { namespace: obj.metadata.namespace }), writeQuery(opts)), { body: obj, signal: opts.signal })
  }

  /** PUT. The object must carry metadata.resourceVersion, so a concurrent writer causes 409, not a lost update. */
  async update<T extends KubeObject>(type: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const { name, namespace, resourceVersion } = obj.metadata
    if (!name) throw new Error(`update of a ${type.kind} without metadata.name`)
    if (!resourceVersion) throw new Error(`update of ${type.plural}/${name} without resourceVersion: updates must be based on a read`)
    const path = resourcePath(type, { namespace, name, subresource: opts.subresource })
    return this.request<T>('PUT', withQuery(path, writeQuery(opts)), { body: obj, signal: opts.signal })
  }

  /** A patch (merge by default). Put metadata.resourceVersion in a merge patch to make it conditional. */
  async patch<T extends KubeObject>(type: ResourceType, name: string, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const kind = opts.type ?? 'merge'
    if (kind === 'apply' && !opts.fieldManager) throw new Error('server-side apply needs a fieldManager')
    const q = writeQuery(opts)
    if (opts.force) q.set('force', 'true')
    const path = withQuery(resourcePath(type, { namespace: opts.namespace, name, subresource: opts.subresource }), q)
    return this.request<T>('PATCH', path, { body: patch, contentType: CONTENT_TYPES[kind], signal: opts.signal })
  }

  /** True when this call deleted it (or started its deletion); false when it was already gone. */
  async delete(type: ResourceType, name: string, opts: DeleteOptions = {}): Promise<boolean> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: opts.propagationPolicy ?? 'Background',
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    }
    try {
      await this.request('DELETE', resourcePath(type, { namespace: opts.namespace, name }), { body, signal: opts.signal })
      return true
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return false
      throw e
    }
  }

  /** Any API path (`/version`, a collection with a query): the parsed JSON answer, or a KubeError. */
  async request<T>(method: string, path: string, opts: SendOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts)
    const text = await res.text()
    if (!res.ok) throw KubeError.fromResponse(method, path, res.status, text)
    if (MUTATING_METHODS.has(method)) this.opts.onWrite?.(method, path)
    try {
      return (text ? JSON.parse(text) : undefined) as T
    } catch {
      throw new KubeError(502, 'BadGateway', `${method} ${path.split('?')[0]}: the cluster answered with a body that is not JSON`)
    }
  }

  /** The raw response (streams: logs, watches); the caller reads or cancels its body. */
  send(method: string, path: string, opts: SendOptions = {}): Promise<Response> {
    const headers = new Headers({ accept: opts.accept ?? 'application/json' })
    const init: RequestInit = { method, headers }
    if (opts.body !== undefined) {
      headers.set('content-type', opts.contentType ?? 'application/json')
      init.body = JSON.stringify(opts.body)
    }
    if (opts.signal) init.signal = opts.signal
    return this.transport(new Request(`${KUBE_ORIGIN}${path}`, init))
  }
}

function selectorQuery(opts: SelectorOptions): URLSearchParams {
  const q = new URLSearchParams()
  if (opts.labelSelector) q.set('labelSelector', opts.labelSelector)
  if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector)
  return q
}

function writeQuery(opts: { dryRun?: boolean; fieldManager?: string }): URLSearchParams {
  const q = new URLSearchParams()
  if (opts.dryRun) q.set('dryRun', 'All')
  if (opts.fieldManager) q.set('fieldManager', opts.fieldManager)
  return q
}

function withQuery(path: string, q: URLSearchParams): string {
  const s = q.toString()
  return s ? `${path}?${s}` : path
}
