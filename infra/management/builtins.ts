// The built-in GlobalRoles and RoleTemplates the runner seeds into the management cluster. Every object
// here carries `builtin: true`: the runner keeps it equal to this data (user-made roles are never touched).
// Rules follow Rancher's built-ins where they translate to plain Kubernetes RBAC.
import { API_VERSION, type GlobalRole, type PolicyRule, type RoleTemplate } from '../../protocol/crds/index.ts'

const READ = ['get', 'list', 'watch']
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update']
const MGMT = 'management.cattle.io'

const everything: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
]

/** Namespaced workload resources, without secrets: what a reader of a cluster or project may see. */
const workloadReads: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'pods', 'pods/log', 'pods/status', 'services', 'services/status', 'endpoints', 'configmaps', 'events',
      'persistentvolumeclaims', 'persistentvolumeclaims/status', 'serviceaccounts', 'replicationcontrollers',
      'replicationcontrollers/scale', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status',
      'limitranges', 'bindings',
    ],
    verbs: READ,
  },
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'deployments/status', 'daemonsets', 'daemonsets/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'controllerrevisions'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: READ },
]

/** Cluster-scoped things a cluster member may read (Rancher's cluster-member reads nodes, storage, namespaces). */
const clusterReads: PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces', 'nodes', 'nodes/status', 'persistentvolumes', 'componentstatuses'], verbs: READ },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses', 'csidrivers', 'csinodes', 'volumeattachments'], verbs: READ },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  { apiGroups: ['apiregistration.k8s.io'], resources: ['apiservices'], verbs: READ },
  { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs: READ },
  { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: READ },
]

/** What a project member may change in the project's namespaces (Kubernetes' `edit`, roughly). */
const workloadWrites: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'pods/eviction', 'services', 'services/proxy', 'endpoints', 'configmaps', 'secrets', 'persistentvolumeclaims', 'serviceaccounts', 'replicationcontrollers', 'replicationcontrollers/scale'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'daemonsets', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: [...READ, ...WRITE] },
]

const globalRole = (name: string, fields: Omit<GlobalRole, 'apiVersion' | 'kind' | 'metadata'>): GlobalRole => ({
  apiVersion: API_VERSION,
  kind: 'GlobalRole',
  metadata: { name },
  builtin: true,
  ...fields,
})

const roleTemplate = (name: string, fields: Omit<RoleTemplate, 'apiVersion' | 'kind' | 'metadata'>): RoleTemplate => ({
  apiVersion: API_VERSION,
  kind: 'RoleTemplate',
  metadata: { name },
  builtin: true,
  external: false,
  hidden: false,
  locked: false,
  ...fields,
})

export const builtinGlobalRoles: readonly GlobalRole[] = [
  globalRole('admin', {
    displayName: 'Admin',
    description: 'Everything in the management cluster, and cluster owner in every cluster.',
    rules: everything,
    inheritedClusterRoles: ['cluster-owner'],
    newUserDefault: false,
  }),
  globalRole('user', {
    displayName: 'Standard User',
    description: 'Creates clusters and manages what it is granted in them.',
    rules: [
      { apiGroups: [MGMT], resources: ['clusters'], verbs: ['create'] },
      { apiGroups: [MGMT], resources: ['roletemplates'], verbs: READ },
      { apiGroups: [MGMT], resources: ['globalroles'], verbs: READ },
      { apiGroups: [MGMT], resources: ['settings'], verbs: READ },
    ],
    newUserDefault: true,
  }),
  globalRole('user-base', {
    displayName: 'User Base',
    description: 'Logs in and reads the settings; nothing else.',
    rules: [{ apiGroups: [MGMT], resources: ['settings'], verbs: READ }],
    newUserDefault: false,
  }),
]

export const builtinRoleTemplates: readonly RoleTemplate[] = [
  roleTemplate('cluster-owner', {
    displayName: 'Cluster Owner',
    description: 'Everything in the cluster, including its members.',
    context: 'cluster',
    rules: everything,
    administrative: true,
    clusterCreatorDefault: true,
  }),
  roleTemplate('cluster-member', {
    displayName: 'Cluster Member',
    description: 'Reads everything in the cluster except secrets.',
    context: 'cluster',
    rules: [...clusterReads, ...workloadReads],
  }),
  roleTemplate('project-owner', {
    displayName: 'Project Owner',
    description: "Everything in the project's namespaces.",
    context: 'project',
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    administrative: true,
    projectCreatorDefault: true,
  }),
  roleTemplate('project-member', {
    displayName: 'Project Member',
    description: "Manages workloads, services and configuration in the project's namespaces.",
    context: 'project',
    rules: workloadWrites,
    roleTemplateNames: ['read-only'],
  }),
  roleTemplate('read-only', {
    displayName: 'Read-only',
    description: "Reads the project's namespaces, except secrets.",
    context: 'project',
    rules: workloadReads,
  }),
]
