/**
 * Steve's names for types and objects. A type id is the kind in lower case for the core group
 * (`pod`, `namespace`) and `<group>.<kind>` in lower case otherwise (`apps.deployment`,
 * `management.cattle.io.cluster`); URLs also take the plural resource in its place
 * (`/v1/apps.deployments`). An object id is `namespace/name`, or `name` when cluster-scoped.
 * Going back from an id to a type needs discovery (an id names a kind or a resource, not a version):
 * workers/v1/discovery.ts indexes the discovered types by both ids.
 */

export function typeId(group: string, kind: string): string {
  return (group === '' ? kind : `${group}.${kind}`).toLowerCase()
}

/** The id in collection URLs: the plural resource in place of the kind (`apps.deployments`). */
export function pluralTypeId(group: string, resource: string): string {
  return (group === '' ? resource : `${group}.${resource}`).toLowerCase()
}

export function objectId(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name
}
