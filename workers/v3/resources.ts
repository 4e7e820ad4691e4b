// How each /v3 resource maps to its CRD: ids, namespaces and Rancher's field names. Rancher's Norman
// API names references `<x>Id` where the CRD says `<x>Name`; Cluster and Project keep their fields
// under spec/status and show them flat.
import type { Kind } from '../../protocol/crds/index.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'

const RENAMES: Record<string, string> = {
  clusterName: 'clusterId',
  roleTemplateName: 'roleTemplateId',
  userName: 'userId',
  userPrincipalName: 'userPrincipalId',
  groupName: 'groupId',
  groupPrincipalName: 'groupPrincipalId',
  projectName: 'projectId',
  globalRoleName: 'globalRoleId',
}
const BACK = Object.fromEntries(Object.entries(RENAMES).map(([k, v]) => [v, k]))

export interface Location {
  namespace?: string
  name: string
}

export interface ResourceDef {
  type: string
  collection: string
  kind: Kind
  /** Prefix for generated names (`c-`, `p-`, `crtb-` …); absent: the client names it. */
  generate?: string
  /** Fields a client may set (Norman names). */
  writable: readonly string[]
  /** Fields taken from spec (Cluster, Project); the others are top-level. */
  spec?: readonly string[]
  /** Where a new object lives, from the (Norman) body. */
  namespaceFor?(body: Record<string, unknown>): string
  /** The namespace part of an id `ns:name`, for namespaced kinds. */
  namespaced: boolean
  actions?: readonly string[]
  collectionActions?: readonly string[]
}

export function idOf(def: ResourceDef, obj: KubeObject): string {
  const name = obj.metadata.name ?? ''
  return def.namespaced ? `${obj.metadata.namespace}:${name}` : name
}

export function locate(def: ResourceDef, id: string): Location {
  if (!def.namespaced) {
    if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(id)) throw new ApiError(404, `${def.type} "${id}" not found`)
    return { name: id }
  }
  const [namespace, name, extra] = id.split(':')
  if (!namespace || !name || extra !== undefined || !/^[a-z0-9-]{1,63}$/.test(namespace) || !/^[a-z0-9][a-z0-9.-]{0,252}$/.test(name)) {
    throw new ApiError(404, `${def.type} "${id}" not found: ids are <namespace>:<name>`)
  }
  return { namespace, name }
}

/** CRD object → the resource's own fields (no id/type/links yet). */
export function fieldsOf(def: ResourceDef, obj: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue
    if ((k === 'spec' || k === 'status') && def.spec && v && typeof v === 'object') {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) out[RENAMES[sk] ?? sk] = sv
      continue
    }
    out[RENAMES[k] ?? k] = v
  }
  if (def.spec && 'displayName' in out) out.name = out.displayName
  else out.name ??= obj.metadata.name
  if (def.namespaced) out.namespaceId = obj.metadata.namespace
  return out
}

/** The writable part of a Norman body → CRD fields (top-level, or `spec` for spec kinds). */
export function crdFieldsFrom(def: ResourceDef, body: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const key of def.writable) {
    if (!(key in body) || key === 'labels' || key === 'annotations') continue
    let value = body[key]
    let crdKey = BACK[key] ?? key
    if (def.spec && key === 'name') crdKey = 'displayName'
    if (value === null) value = undefined
    fields[crdKey] = value
  }
  if (!def.spec) return fields
  const spec: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) if (def.spec.includes(k)) spec[k] = v
  return { spec }
}

const subject = ['userId', 'userPrincipalId', 'groupId', 'groupPrincipalId'] as const
const clusterIdOf = (body: Record<string, unknown>) => {
  const id = body.clusterId
  if (typeof id !== 'string' || !id) throw new ApiError(422, 'clusterId is required', 'MissingRequired')
  return id
}

export const RESOURCES = {
  cluster: {
    type: 'cluster', collection: 'clusters', kind: 'Cluster', generate: 'c-', namespaced: false,
    writable: ['name', 'description', 'agentEnvVars', 'defaultClusterRoleForProjectMembers', 'labels', 'annotations'],
    spec: ['displayName', 'description', 'agentEnvVars', 'defaultClusterRoleForProjectMembers'],
    actions: ['generateKubeconfig'],
  },
  globalRole: {
    type: 'globalRole', collection: 'globalroles', kind: 'GlobalRole', generate: 'gr-', namespaced: false,
    writable: ['displayName', 'description', 'rules', 'newUserDefault', 'inheritedClusterRoles', 'labels', 'annotations'],
  },
  globalRoleBinding: {
    type: 'globalRoleBinding', collection: 'globalrolebindings', kind: 'GlobalRoleBinding', generate: 'grb-', namespaced: false,
    writable: ['globalRoleId', 'userId', 'userPrincipalId', 'groupPrincipalId', 'labels', 'annotations'],
  },
  roleTemplate: {
    type: 'roleTemplate', collection: 'roletemplates', kind: 'RoleTemplate', generate: 'rt-', namespaced: false,
    writable: ['displayName', 'description', 'rules', 'context', 'roleTemplateNames', 'external', 'hidden', 'locked', 'administrative', 'clusterCreatorDefault', 'projectCreatorDefault', 'labels', 'annotations'],
  },
  clusterRoleTemplateBinding: {
    type: 'clusterRoleTemplateBinding', collection: 'clusterroletemplatebindings', kind: 'ClusterRoleTemplateBinding', generate: 'crtb-', namespaced: true,
    writable: ['clusterId', 'roleTemplateId', ...subject, 'labels', 'annotations'],
    namespaceFor: clusterIdOf,
  },
  project: {
    type: 'project', collection: 'projects', kind: 'Project', generate: 'p-', namespaced: true,
    writable: ['name', 'description', 'clusterId', 'resourceQuota', 'namespaceDefaultResourceQuota', 'containerDefaultResourceLimit', 'labels', 'annotations'],
    spec: ['displayName', 'description', 'clusterName', 'resourceQuota', 'namespaceDefaultResourceQuota', 'containerDefaultResourceLimit'],
    namespaceFor: clusterIdOf,
  },
  projectRoleTemplateBinding: {
    type: 'projectRoleTemplateBinding', collection: 'projectroletemplatebindings', kind: 'ProjectRoleTemplateBinding', generate: 'prtb-', namespaced: true,
    writable: ['projectId', 'roleTemplateId', ...subject, 'serviceAccount', 'labels', 'annotations'],
    namespaceFor: (body) => {
      const [cluster, project] = String(body.projectId ?? '').split(':')
      if (!cluster || !project) throw new ApiError(422, 'projectId is required, as <cluster id>:<project id>', 'MissingRequired')
      return project
    },
  },
  clusterRegistrationToken: {
    type: 'clusterRegistrationToken', collection: 'clusterregistrationtokens', kind: 'ClusterRegistrationToken', generate: 'crt-', namespaced: true,
    writable: ['clusterId', 'labels', 'annotations'],
    spec: ['clusterName'],
    namespaceFor: clusterIdOf,
  },
  setting: {
    type: 'setting', collection: 'settings', kind: 'Setting', namespaced: false,
    writable: ['value', 'labels', 'annotations'],
  },
} as const satisfies Record<string, ResourceDef>
