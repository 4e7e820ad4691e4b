// A type's columns as Steve's schemas describe them (`attributes.columns`): the apiserver's Table
// columnDefinitions, each naming the cell it describes as `$.metadata.fields[i]`. The same for every
// caller, so kept per cluster and type; learned from any Table answer (every list refreshes them) or
// asked for with a one-row LIST where the caller may list.
import type { SteveType } from './discovery.ts'
import type { ClusterScope } from './scope.ts'
import { listPages, type TableColumn } from './table.ts'
import { TtlCache } from './ttl-cache.ts'

export const COLUMNS_CACHE_MS = 5 * 60_000

export interface SteveColumn {
  name: string
  field: string
  type: string
  format: string
  description: string
  priority: number
}

const cache = new TtlCache<SteveColumn[]>(COLUMNS_CACHE_MS, 10_000)

const keyOf = (scope: ClusterScope, type: SteveType) => `${scope.cluster}\u0000${type.group}/${type.version}/${type.plural}`

export function steveColumns(definitions: readonly TableColumn[]): SteveColumn[] {
  return definitions.map((d, i) => ({ name: d.name, field: `$.metadata.fields[${i}]`, type: d.type, format: d.format, description: d.description, priority: d.priority }))
}

export function rememberColumns(scope: ClusterScope, type: SteveType, definitions: readonly TableColumn[] | undefined): void {
  if (definitions) cache.set(keyOf(scope, type), steveColumns(definitions))
}

/**
 * The type's columns, asking with a one-row LIST as the caller where `where` says they may list
 * (`''`: cluster-wide, else a namespace); undefined: nowhere, so only what is already known.
 */
export async function columnsFor(scope: ClusterScope, type: SteveType, where: string | undefined): Promise<SteveColumn[]> {
  const known = cache.get(keyOf(scope, type))
  if (known || where === undefined) return known ?? []
  try {
    const first = await listPages(scope.user, type, where === '' ? undefined : where, 1).next()
    const definitions = first.done ? undefined : first.value.columns
    rememberColumns(scope, type, definitions)
    return definitions ? steveColumns(definitions) : []
  } catch {
    // Columns are a description: a type whose LIST fails here (an aggregated API that is down) has none.
    return []
  }
}
