// The import manifest: what `kubectl apply -f <manifestUrl>` creates in a cluster to register it
// (DESIGN.md, flow 4). Pure: the /v3/import route validates the token and passes what to render.
import { CACHE_IDENTITY } from '../../protocol/api/identities.ts'
import { isAgentTlsMode } from '../../protocol/api/settings.ts'
import { yamlStream, type YamlValue } from './yaml-text.ts'

export interface ImportManifestOptions {
  /** The edge's base URL (the `server-url` setting): the agent dials `<serverUrl>/v3/connect`. */
  serverUrl: string
  clusterId: string
  /** The registration token; the agent presents `<clusterId>:<token>`. */
  token: string
  /** The agent image (the `agent-image` setting). */
  image: string
  /** SHA-256 (hex) of the `cacerts` setting's PEM text: the agent pins the CA `GET /cacerts` serves. */
  caChecksum?: string
  /**
   * The `agent-tls-mode` setting (default `strict`): strict agents trust only the pinned CA and refuse to
   * start without a checksum; `system-store` agents trust the system store (and the pinned CA, if any).
   */
  tlsMode?: string
  httpProxy?: string
  httpsProxy?: string
  noProxy?: string
  /** Agent replicas (default 2): several replicas of one cluster share its tunnel object. */
  replicas?: number
}

export class ImportManifestError extends Error {}

export const AGENT_NAMESPACE = 'cattle-system'
export const AGENT_NAME = 'drover-agent'
export const AGENT_CREDENTIALS_SECRET = 'drover-agent-credentials'
export const RUNNER_USER = 'system:drover:runner'

/**
 * The extra keys the edge sets on impersonated users (workers/identity: principalid, username). Impersonating
 * an extra is authorised per key (resource `userextras`, subresource = key): a key the edge starts to
 * set must be added here, or requests carrying it are refused with 403.
 */
export const IMPERSONATED_EXTRAS = ['principalid', 'username'] as const

import type { PolicyRule } from '../../protocol/crds/index.ts'

export type { PolicyRule }

/**
 * What the agent itself does with its service account, and nothing more: impersonate the identity the
 * edge sends (agent/headers.ts: user, groups, extras — never a uid or a service account) and read the
 * facts it reports (agent/facts.ts: list nodes, GET /version). Everything a user does runs as that user.
 */
export function agentClusterRules(): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
    { apiGroups: ['authentication.k8s.io'], resources: IMPERSONATED_EXTRAS.map((k) => `userextras/${k}`), verbs: ['impersonate'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { nonResourceURLs: ['/version'], verbs: ['get'] },
  ]
}

/** The contract's `drover-runner` role: manage RBAC (incl. escalate and bind) and read namespaces. */
export function runnerClusterRules(): PolicyRule[] {
  return [
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind'],
    },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
  ]
}

/** The list cache's role (`drover-cache`): read everything (infra/management/rbac.ts CACHE_RULES). */
export function cacheClusterRules(): PolicyRule[] {
  return [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }]
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const IMAGE = /^[\w.\-/:@]+$/

function check(opts: ImportManifestOptions): void {
  let url: URL
  try {
    url = new URL(opts.serverUrl)
  } catch {
    throw new ImportManifestError('server-url is not a URL; set the server-url setting')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ImportManifestError('server-url must be an http(s) URL')
  if (!DNS_LABEL.test(opts.clusterId)) throw new ImportManifestError('the cluster id is not a DNS label')
  if (!opts.token || /[\s:]/.test(opts.token)) throw new ImportManifestError('the registration token is empty or malformed')
  if (!IMAGE.test(opts.image)) throw new ImportManifestError('the agent image is not an image reference')
  if (opts.tlsMode !== undefined && !isAgentTlsMode(opts.tlsMode)) throw new ImportManifestError('agent-tls-mode must be strict or system-store')
  if (opts.caChecksum !== undefined && !/^[0-9a-f]{64}$/.test(opts.caChecksum)) throw new ImportManifestError('the CA checksum is not a SHA-256 in hex')
  const replicas = opts.replicas ?? 2
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10) throw new ImportManifestError('replicas must be an integer from 1 to 10')
}

type Doc = { [key: string]: YamlValue | undefined }

const labels = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'drover' }
const meta = (name: string, namespace?: string): Doc => ({ name, ...(namespace ? { namespace } : {}), labels: { ...labels } })
const rbac = 'rbac.authorization.k8s.io/v1'

function rules(list: PolicyRule[]): YamlValue[] {
  return list.map((r) => ({ ...r }) as Doc)
}

function deployment(opts: ImportManifestOptions): Doc {
  const fromSecret = (name: string, key: string, optional = false): Doc => ({
    name,
    valueFrom: { secretKeyRef: { name: AGENT_CREDENTIALS_SECRET, key, ...(optional ? { optional: true } : {}) } },
  })
  const proxies: Doc[] = []
  // Both spellings: Go and curl read the upper-case ones, many Node libraries the lower-case ones.
  for (const [name, value] of [['HTTP_PROXY', opts.httpProxy], ['HTTPS_PROXY', opts.httpsProxy], ['NO_PROXY', opts.noProxy]] as const) {
    if (value) proxies.push({ name, value }, { name: name.toLowerCase(), value })
  }
  const selector = { 'app.kubernetes.io/name': AGENT_NAME }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(AGENT_NAME, AGENT_NAMESPACE),
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          serviceAccountName: AGENT_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
              ],
            },
          },
          // The agent must run in clusters whose only nodes are control-plane nodes.
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'agent',
              image: opts.image,
              // $(DROVER_SERVER) is expanded by the kubelet from the env below.
              args: ['agent', '--server', '$(DROVER_SERVER)'],
              env: [
                fromSecret('DROVER_SERVER', 'url'),
                fromSecret('DROVER_AGENT_TOKEN', 'token'),
                fromSecret('DROVER_CA_CHECKSUM', 'ca-checksum', true),
                { name: 'DROVER_AGENT_TLS_MODE', value: opts.tlsMode ?? 'strict' },
                ...proxies,
              ],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              // tsx caches compiled sources under the temp directory.
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  }
}

/**
 * The manifest as multi-document YAML: namespace `cattle-system`, the agent's service account and its
 * least-privilege RBAC, the `drover-runner` role bound to the runner's identity, the `drover-cache` role
 * (read everything) bound to the list cache's identity, the credentials Secret and the agent Deployment.
 * Every value is quoted by the writer, so no option can inject YAML.
 */
export function renderImportManifest(opts: ImportManifestOptions): string {
  check(opts)
  const stringData: Doc = { url: opts.serverUrl, token: `${opts.clusterId}:${opts.token}` }
  if (opts.caChecksum) stringData['ca-checksum'] = opts.caChecksum
  const binding = (name: string, subject: Doc): Doc => ({
    apiVersion: rbac,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [subject],
  })
  return yamlStream([
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(AGENT_NAMESPACE) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(AGENT_NAME, AGENT_NAMESPACE) },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: meta(AGENT_NAME), rules: rules(agentClusterRules()) },
    binding(AGENT_NAME, { kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }),
    { apiVersion: rbac, kind: 'ClusterRole', metadata: meta('drover-runner'), rules: rules(runnerClusterRules()) },
    binding('drover-runner', { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: RUNNER_USER }),
    { apiVersion: rbac, kind: 'ClusterRole', metadata: meta('drover-cache'), rules: rules(cacheClusterRules()) },
    binding('drover-cache', { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: CACHE_IDENTITY.user }),
    { apiVersion: 'v1', kind: 'Secret', metadata: meta(AGENT_CREDENTIALS_SECRET, AGENT_NAMESPACE), type: 'Opaque', stringData },
    deployment(opts),
  ])
}
