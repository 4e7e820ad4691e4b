// `/v1/schemas`: the cluster's types as Steve describes them, only those the caller holds some verb on,
// with the HTTP methods their grants allow — as Steve builds per-user schemas from access:
// GET (collection and resource) for list or get, POST for create, PUT and PATCH for update, DELETE for
// delete; cluster-scoped types count cluster-wide grants only; namespaces are always listed (a caller sees
// those they hold a grant in). Plus the few schemas of Steve's own that clients look up: schema, count,
// schemaDefinition.
import { SteveError } from '../../protocol/api/steve/index.ts'
import { isNamespaceType } from '../../protocol/kube/index.ts'
import { REVIEW_CONCURRENCY } from './access.ts'
import { columnsFor, type SteveColumn } from './columns.ts'
import { discovery, type SteveType } from './discovery.ts'
import { grantedVerbs, hasVerb, rulesFor, verbsAnywhere, type Rules } from './rules.ts'
import type { ClusterScope } from './scope.ts'
import { mapLimited } from './ttl-cache.ts'

export interface SteveSchema {
  id: string
  type: 'schema'
  links: { self: string; collection?: string }
  pluralName: string
  resourceMethods: string[]
  collectionMethods: string[]
  resourceFields: null
  attributes?: {
    group: string
    version: string
    kind: string
    resource: string
    namespaced: boolean
    verbs: string[]
    columns: SteveColumn[]
  }
}

export interface Methods {
  resourceMethods: string[]
  collectionMethods: string[]
}

/** The methods the caller's rules allow on a type; none: the type is not theirs to see (Steve: 404). */
export function methodsFor(rules: Rules, type: SteveType): Methods {
  const verbs = verbsAnywhere(rules, type)
  const resourceMethods: string[] = []
  const collectionMethods: string[] = []
  if (hasVerb(verbs, 'list') || hasVerb(verbs, 'get') || isNamespaceType(type)) {
    resourceMethods.push('GET')
    collectionMethods.push('GET')
  }
  if (hasVerb(verbs, 'delete')) resourceMethods.push('DELETE')
  if (hasVerb(verbs, 'update')) resourceMethods.push('PUT', 'PATCH')
  if (hasVerb(verbs, 'create')) collectionMethods.push('POST')
  return { resourceMethods, collectionMethods }
}

export function isVisible(methods: Methods): boolean {
  return methods.resourceMethods.length > 0 || methods.collectionMethods.length > 0
}

/** Every schema the caller sees, sorted by id. */
export async function schemasFor(scope: ClusterScope): Promise<SteveSchema[]> {
  const [{ types }, rules] = await Promise.all([discovery(scope), rulesFor(scope)])
  const visible = types.map((type) => ({ type, methods: methodsFor(rules, type) })).filter((t) => isVisible(t.methods))
  const schemas = await mapLimited(visible, REVIEW_CONCURRENCY, ({ type, methods }) => typeSchema(scope, rules, type, methods))
  return [...builtinSchemas(scope), ...schemas].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** One schema by id (singular or plural), or 404 when the caller does not see it. */
export async function schemaFor(scope: ClusterScope, id: string): Promise<SteveSchema> {
  const builtin = builtinSchemas(scope).find((s) => s.id === id || s.pluralName === id)
  if (builtin) return builtin
  const [{ byId }, rules] = await Promise.all([discovery(scope), rulesFor(scope)])
  const type = byId.get(id.toLowerCase())
  const methods = type && methodsFor(rules, type)
  if (!type || !methods || !isVisible(methods)) throw SteveError.of('NotFound', `schema ${id} not found`)
  return typeSchema(scope, rules, type, methods)
}

async function typeSchema(scope: ClusterScope, rules: Rules, type: SteveType, methods: Methods): Promise<SteveSchema> {
  const columns = await columnsFor(scope, type, whereListable(rules, type))
  return {
    id: type.id,
    type: 'schema',
    links: { self: `${scope.v1Url}/schemas/${type.id}`, ...(methods.collectionMethods.includes('GET') ? { collection: `${scope.v1Url}/${type.pluralId}` } : {}) },
    pluralName: type.pluralId,
    ...methods,
    resourceFields: null,
    attributes: {
      group: type.group,
      version: type.version,
      kind: type.kind,
      resource: type.plural,
      namespaced: type.namespaced,
      verbs: type.verbs,
      columns,
    },
  }
}

/** Where a one-row LIST may learn the columns: `''` cluster-wide, a namespace, or nowhere. */
function whereListable(rules: Rules, type: SteveType): string | undefined {
  if (!type.verbs.includes('list')) return undefined
  if (hasVerb(grantedVerbs(rules.cluster, type), 'list')) return ''
  if (!type.namespaced) return undefined
  for (const [namespace, nsRules] of rules.namespaces) if (hasVerb(grantedVerbs(nsRules, type), 'list')) return namespace
  return undefined
}

function builtinSchemas(scope: ClusterScope): SteveSchema[] {
  const builtin = (id: string, pluralName: string, collection: boolean): SteveSchema => ({
    id,
    type: 'schema',
    links: { self: `${scope.v1Url}/schemas/${id}`, ...(collection ? { collection: `${scope.v1Url}/${pluralName}` } : {}) },
    pluralName,
    resourceMethods: ['GET'],
    collectionMethods: collection ? ['GET'] : [],
    resourceFields: null,
  })
  return [builtin('count', 'counts', true), builtin('schema', 'schemas', true), builtin('schemaDefinition', 'schemaDefinitions', false)]
}
