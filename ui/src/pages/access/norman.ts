// The access pages' calls to `/v3` (Rancher's Norman shapes) and what the caller may do there. Norman's
// `links` name update and remove on every object whatever the caller holds, so the pages decide from the
// caller's Steve schemas (`/v1/schemas`, computed from their RBAC) and still show every refusal.
import { schemas } from '../../api/capabilities.ts'
import { get, request } from '../../api/http.ts'

export interface Resource {
  id: string
  type: string
  name?: string
  created?: string
  links?: Record<string, string>
  actions?: Record<string, string>
  [field: string]: unknown
}

export interface Collection<T> {
  data: T[]
  pagination?: { limit?: number; total?: number; next?: string; marker?: string }
}

/** The management type's Steve id, e.g. `management.cattle.io.user`. */
export const mgmtType = (plural: string) => `management.cattle.io.${plural.replace(/s$/, '')}`

/** Whether the caller's RBAC allows `method` on objects (`resource`) or the collection of a type. */
export function allowed(type: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE'): boolean {
  const s = schemas.value?.get(type)
  if (!s) return false
  return method === 'GET' || method === 'POST' ? (s.collectionMethods ?? []).includes(method) : (s.resourceMethods ?? []).includes(method)
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

export const list = <T = Resource>(collection: string, params: Record<string, string | number | undefined> = {}) => get<Collection<T>>(`/v3/${collection}${query(params)}`)

export const create = <T = Resource>(collection: string, body: unknown) => request<T>('POST', `/v3/${collection}`, body)

export const update = <T = Resource>(collection: string, id: string, body: unknown) => request<T>('PUT', `/v3/${collection}/${encodeURIComponent(id)}`, body)

export const remove = (collection: string, id: string) => request<unknown>('DELETE', `/v3/${collection}/${encodeURIComponent(id)}`)

export const action = <T = unknown>(collection: string, id: string | undefined, name: string, body: unknown = {}) =>
  request<T>('POST', `/v3/${collection}${id ? `/${encodeURIComponent(id)}` : ''}?action=${encodeURIComponent(name)}`, body)

export interface Principal {
  id: string
  name?: string
  loginName?: string
  principalType?: 'user' | 'group'
  provider?: string
}

/** `POST /v3/principals?action=search`: users and groups of every enabled provider matching `name`. */
export async function searchPrincipals(name: string, principalType?: 'user' | 'group'): Promise<Principal[]> {
  const res = await request<Collection<Principal>>('POST', '/v3/principals?action=search', { name, ...(principalType ? { principalType } : {}) })
  return res.data ?? []
}
