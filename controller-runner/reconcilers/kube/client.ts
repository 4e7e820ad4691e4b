// A small REST client for the Kubernetes API: JSON in, JSON out, no type mangling (client-node's
// ObjectSerializer turns timestamps into Dates and drops unknown fields, which breaks compare-then-write),
// and subresources (`/status`), which KubernetesObjectApi cannot reach. One keep-alive agent per target.
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeError } from './errors.ts'
import { resourcePath, type ResourceRef } from './resources.ts'

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name?: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    finalizers?: string[]
    deletionTimestamp?: string
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[]
  }
}

/** Where requests go: base URL (its path prefixes every request), TLS, credentials, a shared agent. */
export interface Target {
  base: URL
  headers: Record<string, string>
  agent: HttpAgent
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>
}

export interface ClientOptions {
  /** Called for every create, update, patch and delete that reached the server (tests count writes). */
  onWrite?: (method: string, path: string) => void
  /** Wraps every mutating request (the runtime's leader write guard); the signal aborts it. */
  guard?: <R>(fn: (signal: AbortSignal) => Promise<R>) => Promise<R>
  timeoutMs?: number
}

const REFRESH_MS = 60_000

/** A Target from a kubeconfig, re-read every minute so rotated service-account tokens are picked up. */
export function kubeConfigTarget(kc: KubeConfig, maxSockets = 64): () => Promise<Target> {
  let cached: { target: Target; at: number } | undefined
  let agent: HttpAgent | undefined
  return async () => {
    if (cached && Date.now() - cached.at < REFRESH_MS) return cached.target
    const opts: RequestOptions = { headers: {} }
    await kc.applyToHTTPSOptions(opts)
    const cluster = kc.getCurrentCluster()
    if (!cluster) throw new Error('the kubeconfig has no current cluster')
    const base = new URL(cluster.server)
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername }
    agent ??= base.protocol === 'https:' ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets })
    const headers: Record<string, string> = {}
    const auth = (opts.headers as Record<string, unknown>).Authorization
    if (typeof auth === 'string') headers.Authorization = auth.trim()
    else if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
    cached = { target: { base, headers, agent, tls }, at: Date.now() }
    return cached.target
  }
}

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
}

export class KubeClient {
  constructor(
    private readonly target: () => Promise<Target>,
    private readonly opts: ClientOptions = {},
  ) {}

  static fromKubeConfig(kc: KubeConfig, opts: ClientOptions = {}): KubeClient {
    return new KubeClient(kubeConfigTarget(kc), opts)
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(ref, namespace, name))
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined
      throw e
    }
  }

  /** Every object (all pages), across namespaces when `namespace` is undefined for a namespaced kind. */
  async list<T extends KubeObject>(ref: ResourceRef, namespace?: string, opts: ListOptions = {}): Promise<T[]> {
    const items: T[] = []
    let cont: string | undefined
    do {
      const q = new URLSearchParams({ limit: '500' })
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector)
      if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector)
      if (cont) q.set('continue', cont)
      const page = await this.request<{ items: T[]; metadata: { continue?: string } }>('GET', `${resourcePath(ref, namespace)}?${q}`)
      // List items carry no apiVersion/kind; callers compare and write them back, so fill them in.
      for (const item of page.items) items.push({ apiVersion: ref.apiVersion, kind: ref.kind, ...item })
      cont = page.metadata.continue || undefined
    } while (cont)
    return items
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath(ref, obj.metadata.namespace), obj)
  }

  /** PUT: the object must carry metadata.resourceVersion, so a concurrent writer causes a 409, not a lost update. */
  update<T extends KubeObject>(ref: ResourceRef, obj: T, subresource?: 'status'): Promise<T> {
    if (!obj.metadata.resourceVersion) throw new Error(`update of ${ref.plural}/${obj.metadata.name} without resourceVersion`)
    return this.request<T>('PUT', resourcePath(ref, obj.metadata.namespace, obj.metadata.name, subresource), obj)
  }

  /** JSON merge patch; include metadata.resourceVersion in the patch to make it conditional. */
  patch<T extends KubeObject>(ref: ResourceRef, name: string, namespace: string | undefined, patch: unknown, subresource?: 'status'): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref, namespace, name, subresource), patch, 'application/merge-patch+json')
  }

  /** True when this call deleted it (or started its deletion); false when it was already gone. */
  async delete(ref: ResourceRef, name: string, namespace?: string, precondition?: { uid?: string; resourceVersion?: string }): Promise<boolean> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(precondition ? { preconditions: precondition } : {}) }
    try {
      await this.request('DELETE', resourcePath(ref, namespace, name), body)
      return true
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return false
      throw e
    }
  }

  request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const guard = this.opts.guard
    if (method === 'GET' || !guard) return this.send<T>(method, path, body, contentType)
    return guard((signal) => this.send<T>(method, path, body, contentType, signal))
  }

  private async send<T>(method: string, path: string, body: unknown, contentType: string, signal?: AbortSignal): Promise<T> {
    const t = await this.target()
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const url = new URL(`${t.base.pathname.replace(/\/+$/, '')}${path}`, t.base)
    const headers: Record<string, string> = { ...t.headers, Accept: 'application/json' }
    if (data) Object.assign(headers, { 'Content-Type': contentType, 'Content-Length': String(data.length) })
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(url, { method, headers, agent: t.agent, ...t.tls, timeout: this.opts.timeoutMs ?? 30_000, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)))
      req.on('error', reject)
      req.end(data)
    })
    if (method !== 'GET' && status >= 200 && status < 300) this.opts.onWrite?.(method, path)
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T
    throw KubeError.fromResponse(method, path, status, text)
  }
}
