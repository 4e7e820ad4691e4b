// The management cluster's own invariants, as ValidatingAdmissionPolicies (CEL, GA since Kubernetes 1.30):
// they hold for every writer — /v3 (as the impersonated caller), `/k8s/clusters/local`, kubectl with a
// management kubeconfig — so the runner can trust what it reads. /v3's checks are a convenience on top.
// Every validating policy fails closed (failurePolicy Fail). Helm, `drover start` and the tests apply the same data.
//
// One MutatingAdmissionPolicy (GA in Kubernetes 1.36) saves the runner a write per Cluster: a Cluster gets
// the runner's cleanup finalizer as it is created. It fails open (failurePolicy Ignore): the runner still
// adds the finalizer to a Cluster that lacks it (created before the policy, or where the mutation could not
// apply) before it creates anything for it, so a failed mutation costs that one write, never a cluster.
// failurePolicy does not cover one case: until the apiserver has the Cluster kind's OpenAPI schema (a few
// seconds after the CRD is first published, likely also just after an apiserver restart) it answers
// Cluster creates with 503, a retryable error; installers wait for that window to pass (MUTATION_PROBE).
//
// "Trusted" writers are the runner (its service account; under `drover start` the runner uses the
// management kubeconfig, which is `system:masters` — Kubernetes' break-glass group that bypasses RBAC and
// could delete these policies anyway). The edge writes cluster status and creates objects on behalf of a
// user it has verified (default GlobalRoleBindings, OIDC users), so it may set `creatorId`.
import { FINALIZERS, OWNER_LABELS } from '../../protocol/api/ownership.ts'
import { EXT_TOKEN_KIND, KIND_LABEL } from '../../protocol/api/tokens.ts'
import { EDGE_USER, EXT_APISERVER_ACCOUNT } from './rbac.ts'

const MGMT = 'management.cattle.io'
const CREATOR = 'field.cattle.io/creatorId'

export interface AdmissionOptions {
  /** The runner's service account in the management cluster. */
  runner?: { namespace: string; name: string }
  /** Include the MutatingAdmissionPolicy (default true): false for a cluster that does not serve MUTATING_POLICY_API. */
  mutating?: boolean
  /** The extension API server's service account (default cattle-system/drover-ext-apiserver): it alone makes ext tokens. */
  extApiServer?: { namespace: string; name: string }
}

/**
 * What an installer creates with `kubectl create --dry-run=server -o json` after applying the policies, and
 * the test of its output: the mutating policy is in effect once the answer carries the finalizer. Until the
 * apiserver has fetched a custom kind's OpenAPI schema (it polls every few seconds once a CRD is
 * published), a MutatingAdmissionPolicy refuses that kind's requests with 503 whatever its failurePolicy,
 * so installers wait for this before anything creates a Cluster.
 */
export const MUTATION_PROBE = { apiVersion: `${MGMT}/v3`, kind: 'Cluster', metadata: { generateName: 'c-' }, spec: { displayName: 'admission probe' } }
export const mutationInEffect = (created: { metadata?: { finalizers?: string[] } }) => created.metadata?.finalizers?.includes(FINALIZERS.cluster) === true

/** The API the mutating policy needs (`.Capabilities.APIVersions.Has` form): served from Kubernetes 1.36. */
export const MUTATING_POLICY_API = 'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy'
export const isMutating = (o: AdmissionObject) => o.kind.startsWith('Mutating')

interface Validation {
  expression: string
  message: string
}

export interface AdmissionObject {
  apiVersion: 'admissionregistration.k8s.io/v1'
  kind: 'ValidatingAdmissionPolicy' | 'ValidatingAdmissionPolicyBinding' | 'MutatingAdmissionPolicy' | 'MutatingAdmissionPolicyBinding'
  metadata: { name: string; labels: Record<string, string> }
  spec: Record<string, unknown>
}

const labels = { 'app.kubernetes.io/managed-by': 'drover', 'app.kubernetes.io/part-of': 'drover' }
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** `obj.field` as a string, '' when absent. */
const str = (obj: string, field: string) => `(has(${obj}.${field}) ? ${obj}.${field} : '')`
/** A label or annotation of `meta` ('' when absent). */
const mapValue = (meta: string, map: 'labels' | 'annotations', key: string) => `(has(${meta}.${map}) && ${q(key)} in ${meta}.${map} ? ${meta}.${map}[${q(key)}] : '')`
/** The drover finalizers of an object (the runner's; Kubernetes' own ones are the garbage collector's). */
const droverFinalizers = (obj: string) => `(has(${obj}.metadata.finalizers) ? ${obj}.metadata.finalizers.filter(f, f.startsWith('drover.io/')) : [])`

type Op = 'CREATE' | 'UPDATE'
const rule = (resources: string[], operations: Op[], apiGroups = [MGMT]) => ({ apiGroups, apiVersions: ['*'], operations, resources })

function policy(name: string, resourceRules: unknown[], validations: Validation[], extra: { variables?: { name: string; expression: string }[]; matchConditions?: { name: string; expression: string }[] } = {}): AdmissionObject[] {
  const full = `drover-${name}`
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: full, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules },
        ...(extra.matchConditions ? { matchConditions: extra.matchConditions } : {}),
        ...(extra.variables ? { variables: extra.variables } : {}),
        validations: validations.map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: full, labels },
      spec: { policyName: full, validationActions: ['Deny'] },
    },
  ]
}

/**
 * Adds the runner's cleanup finalizer to every Cluster as it is created (only when absent; updates are not
 * touched), so the runner's first reconcile need not patch it in. Validating policies run after every
 * mutation, so drover-runner-owned sees (and allows) this finalizer on a Cluster's create.
 */
function clusterFinalizer(): AdmissionObject[] {
  const name = 'drover-cluster-finalizer'
  const finalizer = q(FINALIZERS.cluster)
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name, labels },
      spec: {
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'Never',
        matchConstraints: { resourceRules: [rule(['clusters'], ['CREATE'])] },
        matchConditions: [{ name: 'finalizer-absent', expression: `!has(object.metadata.finalizers) || !(${finalizer} in object.metadata.finalizers)` }],
        mutations: [
          {
            patchType: 'JSONPatch',
            jsonPatch: {
              expression: `has(object.metadata.finalizers) ? [JSONPatch{op: 'add', path: '/metadata/finalizers/-', value: ${finalizer}}] : [JSONPatch{op: 'add', path: '/metadata/finalizers', value: [${finalizer}]}]`,
            },
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: { policyName: name },
    },
  ]
}

const BINDING_SUBJECT = ['userName', 'userPrincipalName', 'groupName', 'groupPrincipalName'] as const
const unchanged = (field: string) => `${str('object', field)} == ${str('oldObject', field)}`
/** A field of any type (an object, a list) present in both and equal, or absent in both. */
const sameOptional = (field: string) => `(has(object.${field}) == has(oldObject.${field}) && (!has(object.${field}) || object.${field} == oldObject.${field}))`

/** Every admission policy (and its binding) the management cluster needs. */
export function managementAdmission(opts: AdmissionOptions = {}): AdmissionObject[] {
  const runner = opts.runner ?? { namespace: 'cattle-system', name: 'drover-controller-runner' }
  const runnerUser = `system:serviceaccount:${runner.namespace}:${runner.name}`
  const extAccount = opts.extApiServer ?? EXT_APISERVER_ACCOUNT
  const extUser = `system:serviceaccount:${extAccount.namespace}:${extAccount.name}`
  const tokenKind = (obj: string) => mapValue(`${obj}.metadata`, 'labels', KIND_LABEL)
  const trusted = `request.userInfo.username == ${q(runnerUser)} || (has(request.userInfo.groups) && 'system:masters' in request.userInfo.groups)`
  const notTrusted = { name: 'not-trusted', expression: `!(${trusted})` }
  const isCreate = "request.operation == 'CREATE'"
  const clusterLabel = mapValue('namespaceObject.metadata', 'labels', OWNER_LABELS.cluster)
  const projectLabel = mapValue('namespaceObject.metadata', 'labels', OWNER_LABELS.project)

  return [
    ...(opts.mutating === false ? [] : clusterFinalizer()),
    // A binding's scope is where it lives: the runner derives the cluster (project) from the namespace,
    // and the namespace must be one the runner made for that cluster (project).
    ...policy('crtb-scope', [rule(['clusterroletemplatebindings'], ['CREATE', 'UPDATE'])], [
      { expression: `${str('object', 'clusterName')} == object.metadata.namespace`, message: 'clusterName must be the namespace the binding lives in (a binding cannot name another cluster)' },
      { expression: `${clusterLabel} == object.metadata.namespace`, message: "a cluster role template binding lives in its cluster's namespace" },
    ]),
    ...policy('prtb-scope', [rule(['projectroletemplatebindings'], ['CREATE', 'UPDATE'])], [
      {
        expression: `${str('object', 'projectName')}.split(':').size() == 2 && ${str('object', 'projectName')}.split(':')[1] == object.metadata.namespace && ${projectLabel} == ${str('object', 'projectName')}.replace(':', '.')`,
        message: "projectName must be <cluster>:<project> of the project whose namespace the binding lives in (a binding cannot name another project)",
      },
    ]),
    ...policy('project-scope', [rule(['projects'], ['CREATE', 'UPDATE'])], [
      { expression: `${clusterLabel} == object.metadata.namespace`, message: "a project lives in its cluster's namespace" },
      { expression: `!has(object.spec) || ${str('object.spec', 'clusterName')} == '' || object.spec.clusterName == object.metadata.namespace`, message: 'spec.clusterName must be the namespace the project lives in' },
    ]),
    // What a binding grants, and to whom, never changes: delete it and create another.
    ...policy('immutable-fields', [rule(['clusterroletemplatebindings', 'projectroletemplatebindings', 'globalrolebindings', 'projects', 'users', 'tokens'], ['UPDATE'])], [
      {
        expression: `!(object.kind in ['ClusterRoleTemplateBinding', 'ProjectRoleTemplateBinding', 'GlobalRoleBinding']) || (${['roleTemplateName', 'clusterName', 'projectName', 'globalRoleName', ...BINDING_SUBJECT].map(unchanged).join(' && ')})`,
        message: 'a binding\'s role, scope and subject are immutable: create a new binding',
      },
      { expression: `object.kind != 'Project' || !has(oldObject.spec) || ${str('oldObject.spec', 'clusterName')} == '' || (has(object.spec) && ${unchanged('spec.clusterName')})`, message: 'spec.clusterName is immutable' },
      { expression: `object.kind != 'User' || ${str('oldObject', 'username')} == '' || ${unchanged('username')}`, message: 'username is immutable' },
      { expression: `object.kind != 'Token' || (${unchanged('userId')} && ${unchanged('clusterName')} && ${unchanged('authProvider')})`, message: "a token's user, cluster and provider are immutable" },
    ]),
    // creatorId names who created an object (the runner makes that user owner of a cluster): on create it
    // must be the requester, then it never changes. The edge sets it for users it has authenticated.
    ...policy('creator', [rule(['*'], ['CREATE', 'UPDATE'])], [
      {
        expression: `${isCreate} ? (${mapValue('object.metadata', 'annotations', CREATOR)} == '' || ${mapValue('object.metadata', 'annotations', CREATOR)} == request.userInfo.username) : ${mapValue('object.metadata', 'annotations', CREATOR)} == ${mapValue('oldObject.metadata', 'annotations', CREATOR)}`,
        message: `${CREATOR} must be the requesting user when an object is created, and cannot change afterwards`,
      },
    ], { matchConditions: [{ name: 'not-trusted-or-edge', expression: `!(${trusted}) && request.userInfo.username != ${q(EDGE_USER)}` }] }),
    // Only the runner sets builtin, its finalizers and (with the edge for cluster connectivity) status.
    ...policy('runner-owned', [rule(['*'], ['CREATE', 'UPDATE'])], [
      { expression: `${isCreate} ? !(has(object.builtin) && object.builtin == true) : (has(object.builtin) && object.builtin == true) == (has(oldObject.builtin) && oldObject.builtin == true)`, message: 'only drover marks roles builtin' },
      // A Cluster is created with its cleanup finalizer (drover-cluster-finalizer): the one a create may carry.
      {
        expression: `${isCreate} ? (size(${droverFinalizers('object')}) == 0 || (object.kind == 'Cluster' && ${droverFinalizers('object')} == [${q(FINALIZERS.cluster)}])) : ${droverFinalizers('object')} == ${droverFinalizers('oldObject')}`,
        message: "drover.io/ finalizers are the controller runner's: they cannot be added or removed",
      },
    ], { matchConditions: [notTrusted] }),
    ...policy('status', [rule(['*/status'], ['CREATE', 'UPDATE'])], [
      { expression: `request.userInfo.username == ${q(EDGE_USER)} && request.resource.resource == 'clusters'`, message: "status is written by drover's controller runner (and the edge, for a cluster's connection)" },
    ], { matchConditions: [notTrusted] }),
    // Names are generated, so no Cluster or Project can be named after a namespace it would capture.
    ...policy('generated-names', [rule(['clusters', 'projects', 'roletemplates'], ['CREATE'])], [
      { expression: "object.kind != 'Cluster' || object.metadata.name.matches('^c-[a-z0-9]{5}$')", message: 'cluster names are generated (c-xxxxx): create clusters without a name, through /v3' },
      { expression: "object.kind != 'Project' || object.metadata.name.matches('^p-[a-z0-9]{5}$')", message: 'project names are generated (p-xxxxx): create projects without a name, through /v3' },
      { expression: "object.kind != 'RoleTemplate' || !(object.metadata.name.startsWith('system:') || object.metadata.name in ['cluster-admin', 'admin', 'edit', 'view'])", message: "a role template cannot take the name of one of Kubernetes' own ClusterRoles" },
      { expression: "object.kind != 'Cluster' || !has(object.spec) || !has(object.spec.internal) || object.spec.internal == false", message: 'only the management cluster itself is internal' },
    ], { matchConditions: [notTrusted] }),
    // The labels that say which cluster or project a namespace belongs to are the runner's alone.
    // An ext token is a Token CR whose hash the edge accepts as a credential (workers/identity/ext-tokens.ts):
    // only the extension server makes them, and nobody turns another Token into one or swaps its hash.
    ...policy('ext-token-credentials', [rule(['tokens'], ['CREATE', 'UPDATE'])], [
      {
        expression: `${isCreate} ? ${tokenKind('object')} != ${q(EXT_TOKEN_KIND)} : (${tokenKind('object')} == ${tokenKind('oldObject')} && ${unchanged('token')})`,
        message: 'ext tokens are made by the extension API server only (tokens.ext.cattle.io), and a token\'s kind and hash never change',
      },
      // The edge takes an ext token's user, groups and cluster from the CR (not from a signature): whom it
      // speaks for is fixed at creation, or one edit could turn it into another user's or add any group.
      {
        expression: `${isCreate} || ${tokenKind('oldObject')} != ${q(EXT_TOKEN_KIND)} || (${['userId', 'clusterName', 'authProvider', 'expiresAt'].map(unchanged).join(' && ')} && ${['userPrincipal', 'groupPrincipals'].map(sameOptional).join(' && ')})`,
        message: "an ext token's user, principals, groups, cluster and expiry never change: create a new token instead",
      },
    ], { matchConditions: [notTrusted, { name: 'not-ext-apiserver', expression: `request.userInfo.username != ${q(extUser)}` }] }),
    ...policy('namespace-owner-labels', [rule(['namespaces'], ['CREATE', 'UPDATE'], [''])], [
      {
        expression: `${[OWNER_LABELS.cluster, OWNER_LABELS.project].map((l) => (`(${isCreate} ? ${mapValue('object.metadata', 'labels', l)} == '' : ${mapValue('object.metadata', 'labels', l)} == ${mapValue('oldObject.metadata', 'labels', l)})`)).join(' && ')}`,
        message: `the ${OWNER_LABELS.cluster} and ${OWNER_LABELS.project} labels of a namespace are set by drover's controller runner only`,
      },
    ], { matchConditions: [notTrusted] }),
  ]
}
