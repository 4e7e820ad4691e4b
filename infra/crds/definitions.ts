// The single source of truth for the management.cattle.io/v3 kinds: `npm run gen:crds` renders the CRD
// manifests and protocol/crds from this file. Field names follow Rancher's v3 (Norman) types so that
// Rancher clients and tools read and write the same JSON; Rancher's user-level kinds keep their fields at
// the top level, not under spec.
import { age, bool, boolMap, enumOf, int64, list, named, obj, str, stringMap, strings, timestamp } from './schema.ts'
import type { CrdDefinition, PrinterColumn } from './schema.ts'
import {
  bindingStatus, conditions, conditionsStatus, envVar, metaCondition, policyRules, principal, resources, versionInfo,
} from './shared.ts'

const column = (name: string, jsonPath: string, type: PrinterColumn['type'] = 'string', priority?: number) =>
  (priority === undefined ? { name, type, jsonPath } : { name, type, jsonPath, priority })

const conditionColumn = (type: string): PrinterColumn =>
  column(type, `.status.conditions[?(@.type=="${type}")].status`)

const displayName = column('Display Name', '.displayName')

/**
 * Rancher's ClusterComponentStatus: a component of the cluster's control plane and its Healthy condition
 * (Rancher fills it from the downstream's componentstatuses; drover's agent reports `kube-apiserver` from
 * its `/readyz`).
 */
const componentStatus = named('ClusterComponentStatus', obj({
  name: str(),
  conditions: list(named('ComponentCondition', obj({ type: str(), status: str(), message: str(), error: str() }))),
}))

const cluster: CrdDefinition = {
  kind: 'Cluster',
  plural: 'clusters',
  scope: 'Cluster',
  description: 'A managed Kubernetes cluster; its name is the cluster id (`local` for the management cluster).',
  fields: {
    spec: obj({
      displayName: str(),
      description: str(),
      internal: bool('True for the management cluster itself.'),
      desiredAgentImage: str(),
      agentImageOverride: str(),
      agentEnvVars: list(envVar, 'Extra environment for the cluster agent.'),
      defaultClusterRoleForProjectMembers: str(),
      fleetWorkspaceName: str(),
      localClusterAuthEndpoint: obj({ enabled: bool(), fqdn: str(), caCerts: str() }),
    }),
    status: obj({
      conditions,
      driver: str('How the cluster is provisioned; `imported` for clusters that run an agent.'),
      provider: str('Kubernetes distribution as detected by the agent, e.g. k3s, rke2, kind.'),
      version: versionInfo,
      nodeCount: int64(),
      linuxWorkerCount: int64(),
      windowsWorkerCount: int64(),
      capacity: resources,
      allocatable: resources,
      requested: resources,
      limits: resources,
      agentImage: str(),
      agentFeatures: boolMap(),
      connected: bool('Whether an agent of this cluster holds a tunnel to the edge.'),
      componentStatuses: list(componentStatus, 'Control-plane components as the connected agent last saw them; `kube-apiserver` says whether its /readyz passes.'),
      apiEndpoint: str(),
      caCert: str('Base64 PEM of the cluster CA.'),
    }),
  },
  printerColumns: [
    column('Display Name', '.spec.displayName'),
    conditionColumn('Connected'),
    conditionColumn('Ready'),
    column('Version', '.status.version.gitVersion'),
    column('Nodes', '.status.nodeCount', 'integer', 1),
    column('Provider', '.status.provider', 'string', 1),
    age,
  ],
}

const commandStatus =
  'The registration token and the commands that embed it, as in Rancher. The token is also kept in the ' +
  'Secret `registration-<name>` in the same namespace, which the edge compares in constant time; only ' +
  'cluster owners may read this resource.'

const clusterRegistrationToken: CrdDefinition = {
  kind: 'ClusterRegistrationToken',
  plural: 'clusterregistrationtokens',
  scope: 'Namespaced',
  description: 'Registers an agent with its cluster. Lives in the namespace named after the cluster id.',
  fields: {
    spec: obj({ clusterName: str('Id of the Cluster this token registers agents for.') }),
    status: obj({
      token: str(),
      manifestUrl: str(),
      command: str(),
      insecureCommand: str(),
      nodeCommand: str(),
      insecureNodeCommand: str(),
      windowsNodeCommand: str(),
      insecureWindowsNodeCommand: str(),
      expiresAt: str('When the token stops being accepted (RFC 3339); empty for no expiry.'),
    }, commandStatus),
  },
  printerColumns: [column('Cluster', '.spec.clusterName'), column('Expires', '.status.expiresAt'), age],
}

const user: CrdDefinition = {
  kind: 'User',
  plural: 'users',
  scope: 'Cluster',
  description: 'A user of the management API. Its name is the user id (`u-xxxxx`, `user-xxxxx`).',
  fields: {
    displayName: str(),
    description: str(),
    username: str('Login name for the local auth provider.'),
    password: str('Slow-KDF hash of the local password; never the plaintext.'),
    mustChangePassword: bool(),
    principalIds: strings('Principals this user is, e.g. `local://u-xxxxx` and one per external provider.'),
    enabled: bool('Disabled users cannot log in and their tokens are rejected. Absent means enabled.'),
    status: conditionsStatus,
  },
  printerColumns: [displayName, column('Username', '.username'), column('Enabled', '.enabled', 'boolean'), age],
}

const token: CrdDefinition = {
  kind: 'Token',
  plural: 'tokens',
  scope: 'Cluster',
  description: 'An API token. Its value is shown once, as `<name>:<secret>`; only a salted hash is stored.',
  fields: {
    token: str('Salted hash of the secret part; never the secret itself.'),
    userPrincipal: principal,
    groupPrincipals: list(principal),
    providerInfo: stringMap(),
    userId: str(),
    authProvider: str(),
    ttl: int64('Lifetime in milliseconds; 0 means no expiry.'),
    lastUsedAt: timestamp(),
    activityLastSeenAt: timestamp(),
    isDerived: bool('True for tokens created through the API rather than by a login.'),
    description: str(),
    expired: bool(),
    expiresAt: str(),
    current: bool(),
    clusterName: str('When set, the token is valid for this cluster only.'),
    enabled: bool('Absent means enabled.'),
  },
  printerColumns: [
    column('User', '.userId'),
    column('Provider', '.authProvider'),
    column('Expires', '.expiresAt'),
    column('Derived', '.isDerived', 'boolean', 1),
    age,
  ],
}

const globalRole: CrdDefinition = {
  kind: 'GlobalRole',
  plural: 'globalroles',
  scope: 'Cluster',
  description: 'Permissions in the management cluster, and cluster roles inherited in every downstream cluster.',
  fields: {
    displayName: str(),
    description: str(),
    rules: policyRules(),
    newUserDefault: bool('Bound to every new user.'),
    builtin: bool(),
    inheritedClusterRoles: strings('RoleTemplate names granted in every downstream cluster.'),
    status: obj({
      observedGeneration: int64(),
      lastUpdateTime: str(),
      summary: str('Completed, InProgress or Error.'),
      conditions: list(metaCondition),
    }),
  },
  printerColumns: [displayName, column('Builtin', '.builtin', 'boolean'), column('Summary', '.status.summary'), age],
}

const globalRoleBinding: CrdDefinition = {
  kind: 'GlobalRoleBinding',
  plural: 'globalrolebindings',
  scope: 'Cluster',
  description: 'Grants a GlobalRole to a user or to a group principal.',
  fields: {
    userName: str('User id, e.g. `u-xxxxx`.'),
    userPrincipalName: str(),
    groupPrincipalName: str(),
    globalRoleName: str(),
    status: bindingStatus,
  },
  printerColumns: [
    column('Role', '.globalRoleName'),
    column('User', '.userName'),
    column('Group', '.groupPrincipalName'),
    age,
  ],
}

const roleTemplate: CrdDefinition = {
  kind: 'RoleTemplate',
  plural: 'roletemplates',
  scope: 'Cluster',
  description: 'A role that can be granted in a cluster or a project; rendered as a ClusterRole downstream.',
  fields: {
    displayName: str(),
    description: str(),
    rules: policyRules(),
    builtin: bool(),
    external: bool('The rules come from an existing ClusterRole of the same name in the downstream cluster.'),
    hidden: bool(),
    locked: bool('Locked templates cannot be used for new bindings.'),
    context: enumOf(['cluster', 'project']),
    roleTemplateNames: strings('RoleTemplates whose rules this one includes.'),
    administrative: bool(),
    clusterCreatorDefault: bool(),
    projectCreatorDefault: bool(),
  },
  printerColumns: [displayName, column('Context', '.context'), column('Builtin', '.builtin', 'boolean'), age],
}

const subjectColumns = [column('User', '.userName'), column('Group', '.groupPrincipalName')]

const clusterRoleTemplateBinding: CrdDefinition = {
  kind: 'ClusterRoleTemplateBinding',
  plural: 'clusterroletemplatebindings',
  scope: 'Namespaced',
  description: 'Grants a cluster-context RoleTemplate in one cluster. Lives in the cluster\'s namespace.',
  fields: {
    userName: str(),
    userPrincipalName: str(),
    groupName: str(),
    groupPrincipalName: str(),
    clusterName: str(),
    roleTemplateName: str(),
    status: bindingStatus,
  },
  printerColumns: [column('Cluster', '.clusterName'), column('Role', '.roleTemplateName'), ...subjectColumns, age],
}

const project: CrdDefinition = {
  kind: 'Project',
  plural: 'projects',
  scope: 'Namespaced',
  description: 'A group of namespaces in one cluster. Lives in the cluster\'s namespace; its name is `p-xxxxx`.',
  fields: {
    spec: obj({
      displayName: str(),
      description: str(),
      clusterName: str(),
      resourceQuota: obj({ limit: stringMap(), usedLimit: stringMap() }, 'Quota over all the project\'s namespaces.'),
      namespaceDefaultResourceQuota: obj({ limit: stringMap() }),
      containerDefaultResourceLimit: stringMap('requestsCpu, requestsMemory, limitsCpu, limitsMemory.'),
    }),
    status: obj({ conditions, backingNamespace: str('Namespace that holds the project\'s bindings.') }),
  },
  printerColumns: [column('Display Name', '.spec.displayName'), column('Cluster', '.spec.clusterName'), age],
}

const projectRoleTemplateBinding: CrdDefinition = {
  kind: 'ProjectRoleTemplateBinding',
  plural: 'projectroletemplatebindings',
  scope: 'Namespaced',
  description: 'Grants a project-context RoleTemplate in one project. Lives in the project\'s namespace.',
  fields: {
    userName: str(),
    userPrincipalName: str(),
    groupName: str(),
    groupPrincipalName: str(),
    projectName: str('`<cluster id>:<project name>`, e.g. `c-xxxxx:p-xxxxx`.'),
    roleTemplateName: str(),
    serviceAccount: str(),
    status: bindingStatus,
  },
  printerColumns: [column('Project', '.projectName'), column('Role', '.roleTemplateName'), ...subjectColumns, age],
}

const setting: CrdDefinition = {
  kind: 'Setting',
  plural: 'settings',
  scope: 'Cluster',
  description: 'A named server setting; the effective value is `value`, or `default` when value is empty.',
  fields: {
    value: str(),
    default: str(),
    customized: bool(),
    source: str('Where the value comes from: db, default or env.'),
  },
  printerColumns: [column('Value', '.value'), column('Source', '.source', 'string', 1), age],
}

const secretRef = (what: string) =>
  str(`Reference to the Secret holding the ${what}, \`<namespace>:<name>\`; never the value.`)

const authConfig: CrdDefinition = {
  kind: 'AuthConfig',
  plural: 'authconfigs',
  scope: 'Cluster',
  description: 'An auth provider (local, OIDC, LDAP, …). Provider-specific fields are kept as they are.',
  preserveUnknownFields: true,
  fields: {
    type: str('Provider config type, e.g. localConfig or oidcConfig.'),
    enabled: bool(),
    accessMode: enumOf(['required', 'restricted', 'unrestricted']),
    allowedPrincipalIds: strings(),
    clientId: str(),
    clientSecret: secretRef('OIDC or GitHub client secret'),
    hostname: str('GitHub hostname (github.com, or a GitHub Enterprise host), without scheme or path.'),
    tls: bool(),
    issuer: str(),
    authEndpoint: str(),
    tokenEndpoint: str(),
    userInfoEndpoint: str(),
    jwksUrl: str(),
    endSessionEndpoint: str(),
    scope: str('Space-separated OIDC scopes.'),
    groupsClaim: str(),
    groupSearchEnabled: bool(),
    acrValue: str(),
    rancherUrl: str('Redirect URL registered with the provider.'),
    certificate: str(),
    privateKey: secretRef('private key'),
    status: conditionsStatus,
  },
  printerColumns: [
    column('Type', '.type'),
    column('Enabled', '.enabled', 'boolean'),
    column('Access Mode', '.accessMode'),
    age,
  ],
}

export const definitions: readonly CrdDefinition[] = [
  cluster,
  clusterRegistrationToken,
  user,
  token,
  globalRole,
  globalRoleBinding,
  roleTemplate,
  clusterRoleTemplateBinding,
  project,
  projectRoleTemplateBinding,
  setting,
  authConfig,
]
