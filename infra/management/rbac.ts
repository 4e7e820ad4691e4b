// The RBAC drover's own components need, as data: Helm, `drover start`, the import manifest and tests
// apply the same objects. Identities are the contract's (see the edge and runner notes in DESIGN.md).

import { REGISTRATION_SECRET } from '../../protocol/api/registration.ts'
import { EXT_GROUP } from '../../protocol/api/ext.ts'
import type { PolicyRule } from '../../protocol/crds/index.ts'

export type { PolicyRule }

/** A Namespace, (Cluster)Role or (Cluster)RoleBinding. */
export interface RbacObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  rules?: PolicyRule[]
  roleRef?: { apiGroup: string; kind: string; name: string }
  subjects?: Subject[]
}

const RBAC = 'rbac.authorization.k8s.io/v1'
const MGMT = 'management.cattle.io'
const READ = ['get', 'list', 'watch']
const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']
const labels = { 'app.kubernetes.io/managed-by': 'drover', 'app.kubernetes.io/part-of': 'drover' }

export const RUNNER_DOWNSTREAM_USER = 'system:drover:runner'
export const EDGE_USER = 'system:drover:edge'
/** The list cache's identity (protocol/api/identities.ts CACHE_IDENTITY). */
export const CACHE_USER = 'system:drover:cache'
export const LOCAL_USER_PASSWORDS_NAMESPACE = 'cattle-local-user-passwords'
/** Records of `kubeconfigs.ext.cattle.io` (ConfigMaps, no secrets); Rancher's name for the namespace. */
export const KUBECONFIGS_NAMESPACE = 'cattle-kubeconfigs'
/** Every drover user is in this group (the edge sets it for every logged-in user, as Rancher does). */
export const CATTLE_AUTHENTICATED = 'system:cattle:authenticated'
/** Secrets of auth providers (the edge reads and writes them); Rancher's name for the namespace. */
export const GLOBAL_DATA_NAMESPACE = 'cattle-global-data'
/** Names of the ClusterRoles that CRTB RoleBindings in a cluster's namespace refer to. */
export const CLUSTER_NAMESPACE_ROLES = { owner: 'drover-cluster-owner-ns', member: 'drover-cluster-member-ns' } as const

export type Subject = { kind: 'User' | 'Group'; name: string; apiGroup: string } | { kind: 'ServiceAccount'; name: string; namespace: string }

const clusterRole = (name: string, rules: PolicyRule[]): RbacObject => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, labels }, rules })
const clusterRoleBinding = (name: string, role: string, subject: Subject): RbacObject => ({
  apiVersion: RBAC,
  kind: 'ClusterRoleBinding',
  metadata: { name, labels },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [subject],
})
/** A Role in `namespace` and its RoleBinding to `subject`, both named `name`. */
const namespaced = (name: string, namespace: string, rules: PolicyRule[], subject: Subject): RbacObject[] => [
  { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace, labels }, rules },
  { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] },
]
const user = (name: string): Subject => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' })

/** RBAC management: the runner needs escalate and bind to materialise roles it does not hold itself. */
const rbacManager = { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'], verbs: [...ALL, 'escalate', 'bind'] }

/**
 * The list cache's reads in a cluster: everything, since it indexes any type a user lists (objects/cache;
 * Secrets are stored without their values) and `/v1` reads RoleBindings and namespaces to learn where to
 * ask the apiserver about a user's access. It answers a user with no more than the user's own access.
 */
export const CACHE_RULES: PolicyRule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: READ }]

/**
 * What every cluster (downstream ones through the import manifest, the management cluster through Helm or
 * `drover start`) grants drover's identities there: the runner manages RBAC and reads namespaces; the
 * list cache reads (CACHE_RULES).
 */
export function downstreamRbac(): RbacObject[] {
  return [
    clusterRole('drover-runner', [rbacManager, { apiGroups: [''], resources: ['namespaces'], verbs: READ }]),
    clusterRoleBinding('drover-runner', 'drover-runner', user(RUNNER_DOWNSTREAM_USER)),
    clusterRole('drover-cache', CACHE_RULES),
    clusterRoleBinding('drover-cache', 'drover-cache', user(CACHE_USER)),
  ]
}

export interface ManagementRbacOptions {
  /** The runner's service account in the management cluster. */
  runner?: { namespace: string; name: string }
  /** The extension API server's identity (default: service account cattle-system/drover-ext-apiserver). */
  extApiServer?: Subject
}

/** The extension API server's service account, unless told otherwise. */
export const EXT_APISERVER_ACCOUNT = { namespace: 'cattle-system', name: 'drover-ext-apiserver' } as const

/** The management cluster's RBAC for the runner, the edge and the namespace-level roles CRTBs bind. */
export function managementRbac(opts: ManagementRbacOptions = {}): RbacObject[] {
  const runner = opts.runner ?? { namespace: 'cattle-system', name: 'drover-controller-runner' }
  const ext = opts.extApiServer ?? { kind: 'ServiceAccount', ...EXT_APISERVER_ACCOUNT }
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system', labels } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LOCAL_USER_PASSWORDS_NAMESPACE, labels } },
    clusterRole('drover-controller-runner', [
      { apiGroups: [MGMT], resources: ['*'], verbs: ALL },
      { apiGroups: [''], resources: ['namespaces', 'secrets'], verbs: ALL },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ALL },
      rbacManager,
    ]),
    clusterRoleBinding('drover-controller-runner', 'drover-controller-runner', { kind: 'ServiceAccount', ...runner }),
    clusterRole('drover-edge', [
      { apiGroups: [MGMT], resources: ['users', 'tokens', 'authconfigs'], verbs: ALL },
      { apiGroups: [MGMT], resources: ['settings', 'clusters', 'clusterregistrationtokens', 'globalroles', 'roletemplates'], verbs: READ },
      { apiGroups: [MGMT], resources: ['clusters/status'], verbs: ['get', 'patch'] },
      // Users created at their first external (OIDC) login get the `newUserDefault` global roles.
      { apiGroups: [MGMT], resources: ['globalrolebindings'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      // Directory logins and principal searches, answered by the extension API server (protocol/api/ext.ts).
      { apiGroups: [EXT_GROUP], resources: ['directorybindreviews', 'directoryprincipalreviews', 'samlresponsereviews'], verbs: ['create'] },
    ]),
    clusterRoleBinding('drover-edge', 'drover-edge', user(EDGE_USER)),
    // Registration secrets live in every cluster's namespace: readable by name only, never all secrets.
    clusterRole('drover-edge-registration-secrets', [{ apiGroups: [''], resources: ['secrets'], resourceNames: [REGISTRATION_SECRET], verbs: ['get'] }]),
    clusterRoleBinding('drover-edge-registration-secrets', 'drover-edge-registration-secrets', user(EDGE_USER)),
    // The bootstrap admin's first password (controller-runner/bootstrap/admin.ts), read once by the edge.
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'drover-edge-bootstrap', namespace: 'cattle-system', labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['bootstrap-secret'], verbs: ['get'] }],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'drover-edge-bootstrap', namespace: 'cattle-system', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'drover-edge-bootstrap' },
      subjects: [user(EDGE_USER)],
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'drover-edge-passwords', namespace: LOCAL_USER_PASSWORDS_NAMESPACE, labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ALL }],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'drover-edge-passwords', namespace: LOCAL_USER_PASSWORDS_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'drover-edge-passwords' },
      subjects: [user(EDGE_USER)],
    },
    // Auth provider secrets (the OIDC client secret); AuthConfig CRs hold only `<namespace>:<name>` references.
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: GLOBAL_DATA_NAMESPACE, labels } },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'drover-edge-global-data', namespace: GLOBAL_DATA_NAMESPACE, labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'patch', 'delete'] }],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'drover-edge-global-data', namespace: GLOBAL_DATA_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'drover-edge-global-data' },
      subjects: [user(EDGE_USER)],
    },
    ...extApiServerRbac(ext),
    // Rancher's imperative resources, which every drover user may use on themselves (the extension server
    // keeps each to their own tokens and kubeconfigs, and checks cluster access and passwords itself).
    clusterRole('drover-ext-user', [
      { apiGroups: [EXT_GROUP], resources: ['tokens', 'kubeconfigs'], verbs: ['create', 'get', 'list', 'update', 'patch', 'delete'] },
      { apiGroups: [EXT_GROUP], resources: ['selfusers', 'passwordchangerequests'], verbs: ['create'] },
    ]),
    clusterRoleBinding('drover-ext-user', 'drover-ext-user', { kind: 'Group', name: CATTLE_AUTHENTICATED, apiGroup: 'rbac.authorization.k8s.io' }),
    // Bound by CRTBs in a cluster's namespace `<id>` (RoleBindings, so only there).
    clusterRole(CLUSTER_NAMESPACE_ROLES.owner, [
      { apiGroups: [MGMT], resources: ['clusterroletemplatebindings', 'projects', 'projectroletemplatebindings', 'clusterregistrationtokens'], verbs: ALL },
    ]),
    clusterRole(CLUSTER_NAMESPACE_ROLES.member, [
      { apiGroups: [MGMT], resources: ['clusterroletemplatebindings', 'projects'], verbs: READ },
      { apiGroups: [MGMT], resources: ['projects'], verbs: ['create'] },
    ]),
  ]
}

/**
 * The extension API server's own access: it authorizes each request with a SubjectAccessReview (what
 * `system:auth-delegator` grants, without the TokenReviews it does not use), reads the front proxy's CA
 * as aggregated apiservers do, reads AuthConfigs and the providers' Secrets in cattle-global-data
 * (service-account passwords); for Rancher's imperative resources it keeps ext tokens as Token CRs, reads
 * Users, Settings and Clusters, writes local password hashes (as the edge does) and kubeconfig records.
 */
function extApiServerRbac(subject: Subject): RbacObject[] {
  return [
    clusterRole('drover-ext-apiserver', [
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      { apiGroups: [MGMT], resources: ['authconfigs', 'settings', 'clusters'], verbs: READ },
      { apiGroups: [MGMT], resources: ['tokens'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list', 'patch'] },
    ]),
    clusterRoleBinding('drover-ext-apiserver', 'drover-ext-apiserver', subject),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBECONFIGS_NAMESPACE, labels } },
    ...namespaced('drover-ext-apiserver-kubeconfigs', KUBECONFIGS_NAMESPACE, [{ apiGroups: [''], resources: ['configmaps'], verbs: ALL }], subject),
    ...namespaced('drover-ext-apiserver-passwords', LOCAL_USER_PASSWORDS_NAMESPACE, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update'] }], subject),
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'drover-ext-apiserver-global-data', namespace: GLOBAL_DATA_NAMESPACE, labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'drover-ext-apiserver-global-data', namespace: GLOBAL_DATA_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'drover-ext-apiserver-global-data' },
      subjects: [subject],
    },
    // The front proxy's CA and allowed names, as kube-apiserver publishes them (kube-system's
    // extension-apiserver-authentication ConfigMap, through the Role kube-apiserver bootstraps to read it).
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'drover-ext-apiserver-authentication-reader', namespace: 'kube-system', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: [subject],
    },
  ]
}
