// One description of a Kubernetes resource type and the one place its REST paths are built. Both
// runtimes, the runner's informers and the edge's /v3 use it; `group: ''` is the core group.
import { GROUP, KINDS, VERSION, type Kind } from '../crds/index.ts'

export interface ResourceType {
  group: string
  version: string
  /** The REST collection name (`clusterroles`). */
  plural: string
  kind: string
  namespaced: boolean
}

export interface PathOptions {
  /** Omitted for a namespaced type: every namespace (lists and watches only). */
  namespace?: string
  name?: string
  subresource?: string
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version
}

/** `/api/v1/namespaces/<ns>/secrets/<name>`, `/apis/<g>/<v>/<plural>`, with each segment escaped. */
export function resourcePath(t: ResourceType, opts: PathOptions = {}): string {
  const root = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`
  const ns = t.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : ''
  if (!opts.name) return `${root}${ns}/${t.plural}`
  const sub = opts.subresource ? `/${opts.subresource}` : ''
  return `${root}${ns}/${t.plural}/${encodeURIComponent(opts.name)}${sub}`
}

/** `type/namespace/name` or `type/name`: how logs and errors name one object. */
export function describeObject(t: ResourceType, name: string, namespace?: string): string {
  return t.namespaced && namespace ? `${t.plural}/${namespace}/${name}` : `${t.plural}/${name}`
}

const core = (kind: string, plural: string, namespaced: boolean): ResourceType => ({ group: '', version: 'v1', plural, kind, namespaced })
const rbac = (kind: string, plural: string, namespaced: boolean): ResourceType => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural, kind, namespaced })

export const NAMESPACE = core('Namespace', 'namespaces', false)
export const SECRET = core('Secret', 'secrets', true)
export const CONFIG_MAP = core('ConfigMap', 'configmaps', true)
export const SERVICE_ACCOUNT = core('ServiceAccount', 'serviceaccounts', true)
export const NODE = core('Node', 'nodes', false)
export const EVENT = core('Event', 'events', true)
export const CLUSTER_ROLE = rbac('ClusterRole', 'clusterroles', false)
export const CLUSTER_ROLE_BINDING = rbac('ClusterRoleBinding', 'clusterrolebindings', false)
export const ROLE = rbac('Role', 'roles', true)
export const ROLE_BINDING = rbac('RoleBinding', 'rolebindings', true)
export const LEASE: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true }
export const SELF_SUBJECT_ACCESS_REVIEW: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'selfsubjectaccessreviews',
  kind: 'SelfSubjectAccessReview',
  namespaced: false,
}

/** Whether a type is the core Namespace (lists of namespaces follow rules of their own in places). */
export function isNamespaceType(type: Pick<ResourceType, 'group' | 'plural'>): boolean {
  return type.group === '' && type.plural === 'namespaces'
}

/** A SelfSubjectAccessReview as written and as answered (`status.allowed`). */
export interface SelfSubjectAccessReview {
  apiVersion: string
  kind: string
  metadata: object
  spec: unknown
  status?: { allowed?: boolean }
}

/** A `management.cattle.io/v3` kind. */
export function mgmt(kind: Kind): ResourceType {
  const k = KINDS[kind]
  return { group: GROUP, version: VERSION, plural: k.plural, kind, namespaced: k.namespaced }
}
