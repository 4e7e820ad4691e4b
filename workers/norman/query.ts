import { ApiError } from '../errors.ts'
import { collection, type Links, type Norman } from './format.ts'

export const DEFAULT_LIMIT = 1000
export const MAX_LIMIT = 5000
const CONTROL = new Set(['limit', 'marker', 'sort', 'order', 'action', 'me'])

interface Filter {
  field: string
  op: 'eq' | 'ne'
  value: string
}

function filtersOf(params: URLSearchParams): Filter[] {
  const out: Filter[] = []
  for (const [key, value] of params) {
    if (CONTROL.has(key)) continue
    if (!/^[A-Za-z][A-Za-z0-9]*(_ne)?$/.test(key)) throw new ApiError(422, `unsupported filter "${key}"`, 'InvalidFormat')
    out.push(key.endsWith('_ne') ? { field: key.slice(0, -3), op: 'ne', value } : { field: key, op: 'eq', value })
  }
  return out
}

const asText = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean))

/**
 * Norman's list semantics over already-formatted resources: `field=value` and `field_ne=value`
 * filters (several values of one field match any), `sort` by a field, and `limit`/`marker` pages in id
 * order, `marker` being the id to start after.
 */
export function listResponse(type: string, all: Norman[], url: URL, links: Links, actions: string[] = []): Record<string, unknown> {
  const params = url.searchParams
  const filters = filtersOf(params)
  const limitText = params.get('limit')
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1) throw new ApiError(422, 'limit must be a positive integer', 'InvalidFormat')
  const matched = all.filter((r) => {
    const eq = filters.filter((f) => f.op === 'eq')
    const fields = new Set(eq.map((f) => f.field))
    for (const field of fields) {
      if (!eq.some((f) => f.field === field && asText(r[field]) === f.value)) return false
    }
    return filters.every((f) => f.op === 'eq' || asText(r[f.field]) !== f.value)
  })
  const sortField = params.get('sort') ?? 'id'
  matched.sort((a, b) => asText(a[sortField]).localeCompare(asText(b[sortField])) || a.id.localeCompare(b.id))
  if (params.get('order') === 'desc') matched.reverse()
  const marker = params.get('marker') ?? undefined
  const start = marker ? matched.findIndex((r) => r.id === marker) + 1 : 0
  const pageSize = Math.min(limit, MAX_LIMIT)
  const data = matched.slice(start, start + pageSize)
  const last = data.at(-1)
  let next: string | undefined
  if (last && start + pageSize < matched.length) {
    const nextUrl = new URL(url)
    nextUrl.searchParams.set('marker', last.id)
    next = `${links.base}/${links.collection}?${nextUrl.searchParams.toString()}`
  }
  const filterEcho: Record<string, string[]> = {}
  for (const f of filters) (filterEcho[f.op === 'ne' ? `${f.field}_ne` : f.field] ??= []).push(f.value)
  return collection(type, data, links, { limit: pageSize, total: matched.length, ...(marker ? { marker } : {}), ...(next ? { next } : {}) }, filterEcho, actions)
}
