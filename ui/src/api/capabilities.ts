// What the caller may do in the management cluster, from Steve's per-user `/v1/schemas`: a type is listed
// only when the caller holds some verb on it, with the HTTP methods their grants allow. Menus and
// buttons read this, so a standard user is not shown (and the page does not fetch) what they may not use.
import { signal } from '@preact/signals'
import { get } from './http.ts'

interface Schema {
  id: string
  collectionMethods?: string[]
  resourceMethods?: string[]
}

export const schemas = signal<ReadonlyMap<string, Schema> | undefined>(undefined)

export async function loadSchemas(): Promise<void> {
  try {
    const list = await get<{ data?: Schema[] }>('/v1/schemas')
    schemas.value = new Map((list.data ?? []).map((s) => [s.id, s]))
  } catch {
    // No /v1 on the management cluster for this caller: menus that need it stay hidden.
    schemas.value = new Map()
  }
}

/** Whether the caller may list (`GET`) or create (`POST`) objects of a type, by its Steve id. */
export function may(type: string, method: 'GET' | 'POST'): boolean {
  return schemas.value?.get(type)?.collectionMethods?.includes(method) ?? false
}

export const CLUSTER_TYPE = 'management.cattle.io.cluster'
