// The legacy discovery documents of the one group-version served. The aggregator asks `/apis` for
// aggregated discovery (v2) first and, given plain JSON, falls back to `GET /apis/<group>/<version>`
// (the APIResourceList); its availability check GETs that same path. So that path is the one that matters.
import { EXT_API_VERSION, EXT_GROUP, EXT_VERSION } from '../../protocol/api/ext.ts'
import type { ExtResource } from './resource.ts'

const version = { groupVersion: EXT_API_VERSION, version: EXT_VERSION }
const group = { name: EXT_GROUP, versions: [version], preferredVersion: version }

export const apiGroupList = (): object => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [group] })

export const apiGroup = (): object => ({ kind: 'APIGroup', apiVersion: 'v1', ...group })

export function apiResourceList(resources: readonly ExtResource[]): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: EXT_API_VERSION,
    resources: resources.map((r) => ({
      name: r.type.plural,
      singularName: r.type.kind.toLowerCase(),
      namespaced: r.type.namespaced,
      kind: r.type.kind,
      verbs: [...r.verbs],
    })),
  }
}
