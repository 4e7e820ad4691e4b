import { internalRequest } from '../../objects/internal.ts'
import { API_VERSION, KINDS, type Kind, type ObjectMeta } from '../../protocol/crds/index.ts'
import type { Identity } from '../../protocol/tunnel/index.ts'
import type { Bindings } from '../env.ts'
import { ApiError } from '../errors.ts'

import { EDGE_IDENTITY, LOCAL_CLUSTER } from '../../protocol/api/identities.ts'

export { EDGE_IDENTITY, LOCAL_CLUSTER }

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [field: string]: unknown
}

export interface KubeList<T> {
  items: T[]
  metadata: { resourceVersion?: string; continue?: string }
}

interface Status {
  kind?: string
  code?: number
  reason?: string
  message?: string
}

/** Kubernetes' status reasons as Rancher's Norman codes, so clients see the same errors as from Rancher. */
function apiErrorFrom(status: number, body: Status | null, what: string): ApiError {
  const message = body?.message ?? `${what}: HTTP ${status}`
  switch (status) {
    case 400:
    case 422:
      return new ApiError(422, message, 'InvalidBodyContent')
    case 401:
    case 403:
      return new ApiError(403, message, 'PermissionDenied')
    case 404:
      return new ApiError(404, message, 'NotFound')
    case 409:
      return new ApiError(409, message, body?.reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict')
    case 429:
      return new ApiError(429, message, 'TooManyRequests')
    case 502:
    case 503:
      return new ApiError(503, `the cluster is unreachable: ${message}`, 'ServiceUnavailable')
    default:
      return new ApiError(502, `the management cluster answered HTTP ${status} for ${what}`, 'BadGateway')
  }
}

/**
 * Kubernetes API requests against the management cluster, through cluster `local`'s tunnel, as one
 * identity: the user's for requests the apiserver's RBAC must decide, EDGE_IDENTITY for the edge's own
 * reads and writes (tokens, password hashes). Errors are thrown as ApiError with Rancher's codes.
 */
export class Kube {
  constructor(
    private readonly env: Pick<Bindings, 'TUNNEL'>,
    readonly identity: Identity,
    /** Any cluster's API is reachable the same way; the management cluster's is the default. */
    readonly cluster: string = LOCAL_CLUSTER,
  ) {}

  as(identity: Identity): Kube {
    return new Kube(this.env, identity, this.cluster)
  }

  in(cluster: string): Kube {
    return new Kube(this.env, this.identity, cluster)
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const stub = this.env.TUNNEL.get(this.env.TUNNEL.idFromName(this.cluster))
    const res = await stub.fetch(internalRequest({
      cluster: this.cluster,
      identity: this.identity,
      method,
      path,
      contentType,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }))
    const text = await res.text()
    let parsed: unknown = null
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = null
    }
    if (!res.ok) {
      // A tunnel object's own error (no agent) is already a Rancher body; keep its message.
      const status = (parsed as Status | null)?.message ? (parsed as Status) : null
      throw apiErrorFrom(res.status, status, `${method} ${path.split('?')[0]}`)
    }
    return parsed as T
  }

  get<T extends { metadata: ObjectMeta }>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }

  async getOrNull<T extends { metadata: ObjectMeta }>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path)
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null
      throw err
    }
  }

  list<T extends { metadata: ObjectMeta }>(path: string, query: Record<string, string> = {}): Promise<KubeList<T>> {
    const qs = new URLSearchParams(query).toString()
    return this.request<KubeList<T>>('GET', qs ? `${path}?${qs}` : path)
  }

  create<T extends { metadata: ObjectMeta }>(path: string, body: unknown, opts: { dryRun?: boolean } = {}): Promise<T> {
    return this.request<T>('POST', opts.dryRun ? `${path}?dryRun=All` : path, body)
  }

  /** A full update: `body.metadata.resourceVersion` makes it conditional (409 when it changed). */
  replace<T extends { metadata: ObjectMeta }>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body)
  }

  mergePatch<T extends { metadata: ObjectMeta }>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, 'application/merge-patch+json')
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path)
  }
}

/** `/apis/management.cattle.io/v3/[namespaces/<ns>/]<plural>[/<name>]` for a drover kind. */
export function crdPath(kind: Kind, name?: string, namespace?: string): string {
  const { plural, namespaced } = KINDS[kind]
  const ns = namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `/apis/${API_VERSION}${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`
}

export function secretPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets${name ? `/${encodeURIComponent(name)}` : ''}`
}

export function withKind<K extends Kind, T extends object>(kind: K, obj: T): T & { apiVersion: typeof API_VERSION; kind: K } {
  return { apiVersion: API_VERSION, kind, ...obj }
}
