// The types of a cluster as Steve names them, from the apiserver's aggregated discovery (two requests:
// `/api` and `/apis`; CRDs and aggregated APIs included, each group at its preferred version). Kept per
// cluster for DISCOVERY_CACHE_MS, so a new CRD appears within that bound. Discovery is the same for every
// authenticated caller, so it is fetched as whoever asks first.
import { pluralTypeId, SteveError, typeId, type SteveTypeRef } from '../../protocol/api/steve/index.ts'
import type { ResourceType } from '../../protocol/kube/index.ts'
import { isRecord, stringsOf } from './kube-json.ts'
import { once, type ClusterScope } from './scope.ts'
import { TtlCache } from './ttl-cache.ts'

export const DISCOVERY_CACHE_MS = 30_000

/** A discovered type: where it lives, its Steve ids and the verbs its resource serves. */
export interface SteveType extends ResourceType {
  /** `apps.deployment` */
  id: string
  /** `apps.deployments` */
  pluralId: string
  verbs: string[]
}

export interface Discovery {
  types: SteveType[]
  /** By id, singular or plural, lower case. */
  byId: Map<string, SteveType>
}

const ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
].join(',')

const cache = new TtlCache<Discovery>(DISCOVERY_CACHE_MS, 256)

export function discovery(scope: ClusterScope): Promise<Discovery> {
  return once(scope, 'discovery', () => cache.through(scope.cluster, () => discover(scope)))
}

/** The type an id names (singular or plural), or a 404 as Steve answers for a type it does not serve. */
export async function typeFor(scope: ClusterScope, id: string): Promise<SteveType> {
  const type = (await discovery(scope)).byId.get(id.toLowerCase())
  if (!type) throw SteveError.of('NotFound', `schema ${id} not found`)
  return type
}

async function discover(scope: ClusterScope): Promise<Discovery> {
  const [core, groups] = await Promise.all(['/api', '/apis'].map((path) => scope.user.request<unknown>('GET', path, { accept: ACCEPT })))
  return indexTypes([...discoveryTypes(core), ...discoveryTypes(groups)])
}

export function indexTypes(types: SteveType[]): Discovery {
  const byId = new Map<string, SteveType>()
  const kept: SteveType[] = []
  for (const type of types) {
    // The same kind in one group twice (never in practice): the first, as Steve keeps one schema per id.
    if (byId.has(type.id)) continue
    kept.push(type)
    byId.set(type.id, type)
    if (!byId.has(type.pluralId)) byId.set(type.pluralId, type)
  }
  return { types: kept, byId }
}

/** The top-level resources of an APIGroupDiscoveryList at each group's preferred (first) version. */
export function discoveryTypes(list: unknown): SteveType[] {
  if (!isRecord(list) || list.kind !== 'APIGroupDiscoveryList' || !Array.isArray(list.items)) {
    throw SteveError.of('ServerError', 'the cluster does not serve aggregated discovery (apidiscovery.k8s.io v2): Kubernetes 1.27 or newer is needed')
  }
  const types: SteveType[] = []
  for (const item of list.items) {
    if (!isRecord(item) || !Array.isArray(item.versions)) continue
    const group = isRecord(item.metadata) && typeof item.metadata.name === 'string' ? item.metadata.name : ''
    const preferred = item.versions[0]
    if (!isRecord(preferred) || typeof preferred.version !== 'string' || !Array.isArray(preferred.resources)) continue
    for (const r of preferred.resources) {
      if (!isRecord(r) || typeof r.resource !== 'string' || r.resource.includes('/')) continue
      const kind = isRecord(r.responseKind) && typeof r.responseKind.kind === 'string' ? r.responseKind.kind : ''
      if (!kind) continue
      types.push({
        group,
        version: preferred.version,
        plural: r.resource,
        kind,
        namespaced: r.scope === 'Namespaced',
        id: typeId(group, kind),
        pluralId: pluralTypeId(group, r.resource),
        verbs: stringsOf(r.verbs),
      })
    }
  }
  return types
}

/** What formatting needs of a type (protocol/api/steve/format.ts). */
export function typeRef(type: SteveType): SteveTypeRef {
  return { id: type.id, pluralId: type.pluralId, apiPath: type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`, resource: type.plural }
}
