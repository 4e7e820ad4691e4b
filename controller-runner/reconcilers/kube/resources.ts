// Resource references for every kind the reconcilers read or write, and the REST paths they map to.
import { GROUP, KINDS, VERSION, type Kind } from '../../../protocol/crds/index.ts'

export interface ResourceRef {
  group: string
  version: string
  plural: string
  namespaced: boolean
  kind: string
  apiVersion: string
}

const core = (kind: string, plural: string, namespaced: boolean): ResourceRef => ({ group: '', version: 'v1', plural, namespaced, kind, apiVersion: 'v1' })
const rbac = (kind: string, plural: string, namespaced: boolean): ResourceRef => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  namespaced,
  kind,
  apiVersion: 'rbac.authorization.k8s.io/v1',
})

export const NAMESPACE = core('Namespace', 'namespaces', false)
export const SECRET = core('Secret', 'secrets', true)
export const CORE_EVENT = core('Event', 'events', true)
export const CLUSTER_ROLE = rbac('ClusterRole', 'clusterroles', false)
export const CLUSTER_ROLE_BINDING = rbac('ClusterRoleBinding', 'clusterrolebindings', false)
export const ROLE = rbac('Role', 'roles', true)
export const ROLE_BINDING = rbac('RoleBinding', 'rolebindings', true)

/** The ref of a management.cattle.io/v3 kind. */
export function mgmt(kind: Kind): ResourceRef {
  const k = KINDS[kind]
  return { group: GROUP, version: VERSION, plural: k.plural, namespaced: k.namespaced, kind, apiVersion: `${GROUP}/${VERSION}` }
}

export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const root = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  const n = name ? `/${encodeURIComponent(name)}` : ''
  return `${root}${ns}/${ref.plural}${n}${subresource && name ? `/${subresource}` : ''}`
}
