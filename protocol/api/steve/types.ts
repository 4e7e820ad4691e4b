/**
 * Steve's names for types and objects. A type id is the kind in lower case for the core group
 * (`pod`, `namespace`) and `<group>.<kind>` in lower case otherwise (`apps.deployment`,
 * `management.cattle.io.cluster`); URLs also take the plural resource in its place
 * (`/v1/apps.deployments`). An object id is `namespace/name`, or `name` when cluster-scoped.
 *
 * Going back from an id to a type needs discovery (an id names a kind or a resource, not a version),
 * so `parseTypeId` only splits it; `typeIdMatches` decides against one discovered type.
 */

export function typeId(group: string, kind: string): string {
  return (group === '' ? kind : `${group}.${kind}`).toLowerCase()
}

/** The id in collection URLs: the plural resource in place of the kind (`apps.deployments`). */
export function pluralTypeId(group: string, resource: string): string {
  return (group === '' ? resource : `${group}.${resource}`).toLowerCase()
}

/** The type id of an object from its own `apiVersion` and `kind`. */
export function typeIdOf(object: { apiVersion?: string; kind?: string }): string {
  const apiVersion = object.apiVersion ?? ''
  const slash = apiVersion.indexOf('/')
  return typeId(slash === -1 ? '' : apiVersion.slice(0, slash), object.kind ?? '')
}

/** An id split into the group it names and the kind or resource after it (`name`, lower case). */
export interface TypeIdParts {
  group: string
  name: string
}

/** Kinds and resources hold no dots, so the group is everything before the last one. */
export function parseTypeId(id: string): TypeIdParts {
  const lower = id.toLowerCase()
  const dot = lower.lastIndexOf('.')
  return dot === -1 ? { group: '', name: lower } : { group: lower.slice(0, dot), name: lower.slice(dot + 1) }
}

/** Whether an id (singular or plural) names this discovered type. */
export function typeIdMatches(id: string, type: { group: string; kind: string; resource: string }): boolean {
  const lower = id.toLowerCase()
  return lower === typeId(type.group, type.kind) || lower === pluralTypeId(type.group, type.resource)
}

export function objectId(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name
}

/** `ns/name` or `name`; names hold no slash, so one slash at most. */
export function parseObjectId(id: string): { namespace: string | undefined; name: string } {
  const slash = id.indexOf('/')
  return slash === -1 ? { namespace: undefined, name: id } : { namespace: id.slice(0, slash), name: id.slice(slash + 1) }
}
