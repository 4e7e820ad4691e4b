// Which fields a list may filter, sort and summarise on: those the type has. A path is checked against
// the type's OpenAPI definition (definitions.ts) so a misspelt field (`metdata.name`, `spec.nodeNmae`) is a
// 400 naming it, rather than a filter that silently matches nothing. The fields every client uses —
// name, namespace, labels, annotations, creationTimestamp, the table cells (`metadata.fields[i]`), the
// state, `id` — need no definition; a type whose definition cannot be read is not checked (the query
// still runs). Definitions are kept per cluster and type for FIELDS_CACHE_MS.
import { assertKnownFields, type FieldPath, type ListQuery } from '../../protocol/api/steve/index.ts'
import { schemaDefinition, type Definition } from './definitions.ts'
import type { SteveType } from './discovery.ts'
import type { ClusterScope } from './scope.ts'
import { TtlCache } from './ttl-cache.ts'

export const FIELDS_CACHE_MS = 5 * 60_000

const ALWAYS = new Set(['id', 'metadata.name', 'metadata.namespace', 'metadata.creationTimestamp', 'metadata.uid', 'metadata.resourceVersion'])
const METADATA_MAPS = new Set(['labels', 'annotations'])
const STATE = new Set(['name', 'error', 'transitioning', 'message'])

/** Fields that are known without the type's definition. */
export function knownWithoutDefinition(path: FieldPath): boolean {
  if (ALWAYS.has(path.join('.'))) return true
  if (path[0] !== 'metadata') return false
  if (path.length === 3 && METADATA_MAPS.has(path[1]!)) return true
  if (path.length === 3 && path[1] === 'fields') return /^\d+$/.test(path[2]!)
  return path.length === 3 && path[1] === 'state' && STATE.has(path[2]!)
}

type Definitions = { root: string; definitions: Record<string, Definition> } | null

const cache = new TtlCache<Definitions>(FIELDS_CACHE_MS, 512)

/** Whether `path` names a field of the type `root` defines (Steve's renames undone: `_type` is `type`). */
export function definedPath(defs: NonNullable<Definitions>, path: FieldPath): boolean {
  let cur: { type: string; subtype?: string | undefined } = { type: defs.root }
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!
    if (cur.type === 'array') {
      // Arrays count as their items (`spec.containers.image`); an index may name one.
      cur = { type: cur.subtype ?? 'string' }
      if (/^\d+$/.test(segment)) continue
    }
    if (cur.type === 'map') {
      // A map's key; a map of strings may also be a free-form object, so anything below it is allowed.
      if (cur.subtype === undefined || cur.subtype === 'string') return true
      cur = { type: cur.subtype }
      continue
    }
    const definition = defs.definitions[cur.type]
    if (!definition) return false
    const field = definition.resourceFields[i === 0 && segment.startsWith('_') ? segment.slice(1) : segment]
    if (!field) return false
    cur = field
  }
  return true
}

/** Throws a 400 for the first filter, sort or summary field the type does not have. */
export async function assertFieldsExist(scope: ClusterScope, type: SteveType, query: ListQuery): Promise<void> {
  const paths = [...query.filters.flatMap((g) => g.map((f) => f.field)), ...query.sort.map((s) => s.field), ...(query.summary ?? [])]
  if (paths.every(knownWithoutDefinition)) return
  const defs = await cache.through(`${scope.cluster}\u0000${type.group}/${type.version}/${type.plural}`, async () => {
    try {
      const d = await schemaDefinition(scope, type)
      return { root: d.definitionType, definitions: d.definitions }
    } catch {
      return null
    }
  })
  if (!defs) return
  assertKnownFields(query, (path) => knownWithoutDefinition(path) || definedPath(defs, path))
}
