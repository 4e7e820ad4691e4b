// `kubeconfigs.ext.cattle.io` (Rancher 2.12+): a kubeconfig for clusters the caller may reach, each through
// the edge (`<server-url>/k8s/clusters/<id>`) with a cluster-scoped ext token of its own. The record (spec,
// owner, token names) is a ConfigMap in `cattle-kubeconfigs`, Rancher's namespace for it; the YAML, which
// holds the secrets, is answered once by the create. A user reads, lists and deletes only their own
// (deleting one deletes its tokens); a caller allowed `list` on tokens.management.cattle.io sees all.
import * as v from 'valibot'
import { EXT_API_VERSION, EXT_KUBECONFIG, type ExtKubeconfig } from '../../protocol/api/ext.ts'
import { EXT_KUBECONFIG_LABEL } from '../../protocol/api/tokens.ts'
import type { Cluster } from '../../protocol/crds/index.ts'
import { CONFIG_MAP, mgmt, type KubeObject } from '../../protocol/kube/index.ts'
import type { ExtContext } from '../context.ts'
import { parseObject } from '../server/parse.ts'
import type { ExtResource, ObjectRequest, RequestUser } from '../server/resource.ts'
import { statusError } from '../server/status.ts'
import { rancherUser, seesAllTokens } from '../users/caller.ts'
import { kubeconfigYaml, type KubeconfigEntry } from './kubeconfig-yaml.ts'
import { nameFromFieldSelector } from './selectors.ts'
import { extTokens, issueExtToken, minutesSetting, setting, TOKEN } from './store.ts'

/** Rancher's namespace for kubeconfig records. */
export const KUBECONFIG_NAMESPACE = 'cattle-kubeconfigs'
const OWNER_LABEL = 'cattle.io/user-id'
const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
/** `["*"]` reaches every cluster the user may get; a kubeconfig names at most this many. */
const MAX_CLUSTERS = 100

const schema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('Kubeconfig'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({
    clusters: v.pipe(v.array(v.pipe(v.string(), v.check((c) => c === '*' || CLUSTER_ID.test(c), 'a cluster id or "*"'))), v.minLength(1, 'name at least one cluster (or "*")'), v.maxLength(MAX_CLUSTERS)),
    currentContext: v.optional(v.string()),
    description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
    ttl: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
})

interface Record extends KubeObject {
  data?: { [k: string]: string }
}

type Spec = ExtKubeconfig['spec']

function present(r: Record): Omit<ExtKubeconfig, 'apiVersion' | 'kind'> {
  const d = r.data ?? {}
  const { name, uid, resourceVersion, creationTimestamp } = r.metadata
  const spec = JSON.parse(d.spec ?? '{}') as Spec
  return { metadata: { name, uid, resourceVersion, creationTimestamp }, spec, status: { summary: 'Complete', tokens: JSON.parse(d.tokens ?? '[]') as string[] } }
}

export function kubeconfigResource(ctx: ExtContext): ExtResource {
  const { client, logger } = ctx
  const typed = (r: Record) => ({ apiVersion: EXT_API_VERSION, kind: 'Kubeconfig', ...present(r) })
  const mayGetCluster = async (user: RequestUser, id: string, signal: AbortSignal) =>
    (await ctx.authorizer.authorize(user, { kind: 'resource', verb: 'get', group: 'management.cattle.io', version: 'v3', resource: 'clusters', name: id }, signal)).allowed
  const scope = async (req: { user: RequestUser; signal: AbortSignal }) =>
    (await seesAllTokens(ctx, req.user, req.signal)) ? undefined : (await rancherUser(client, req.user, req.signal)).userId
  const readable = async (req: ObjectRequest) => {
    const owner = await scope(req)
    const r = await client.find<Record>(CONFIG_MAP, req.name, KUBECONFIG_NAMESPACE, { signal: req.signal })
    if (!r || (owner !== undefined && r.metadata.labels?.[OWNER_LABEL] !== owner)) throw statusError(404, `kubeconfigs.ext.cattle.io "${req.name}" not found`)
    return r
  }
  return {
    type: EXT_KUBECONFIG,
    verbs: ['create', 'get', 'list', 'delete'],
    async create(req) {
      const { spec } = parseObject(schema, req.body)
      const caller = await rancherUser(client, req.user, req.signal)
      const serverUrl = (await setting(client, 'server-url', req.signal)).replace(/\/+$/, '')
      if (!serverUrl) throw statusError(422, 'the server-url setting is not set: set it to the URL users reach drover at (kubectl edit settings.management.cattle.io server-url)')
      // The clusters: each must exist and be one the caller may get, as /v3/clusters decides visibility.
      let ids: string[]
      if (spec.clusters[0] === '*') {
        const all = (await client.list<Cluster & KubeObject>(mgmt('Cluster'), { signal: req.signal })).items.map((c) => c.metadata.name ?? '')
        ids = []
        for (const id of all) {
          if (ids.length >= MAX_CLUSTERS) break
          if (await mayGetCluster(req.user, id, req.signal)) ids.push(id)
        }
      } else {
        ids = [...new Set(spec.clusters)]
        for (const id of ids) {
          if (id === '*') throw statusError(400, 'spec.clusters: "*" must be the first and only entry')
          if (!(await mayGetCluster(req.user, id, req.signal)) || !(await client.find(mgmt('Cluster'), id, undefined, { signal: req.signal }))) throw statusError(400, `spec.clusters: cluster ${id} not found`)
        }
      }
      if (ids.length === 0) throw statusError(400, 'spec.clusters: you may reach no cluster')
      const current = spec.currentContext || ids[0]!
      if (!ids.includes(current)) throw statusError(400, `spec.currentContext: ${current} is not one of the kubeconfig's clusters`)
      const defaultMinutes = await minutesSetting(client, 'kubeconfig-default-token-ttl-minutes', req.signal)
      const ttlS = spec.ttl || defaultMinutes * 60
      if (spec.ttl && defaultMinutes > 0 && spec.ttl > defaultMinutes * 60) throw statusError(422, `spec.ttl: ${spec.ttl} s exceeds kubeconfig-default-token-ttl-minutes (${defaultMinutes * 60} s)`)
      const record: Record = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'kubeconfig-', namespace: KUBECONFIG_NAMESPACE, labels: { [OWNER_LABEL]: caller.userId } },
        data: { spec: JSON.stringify({ ...spec, ttl: ttlS, currentContext: current }), tokens: '[]' },
      }
      const created = await client.create<Record>(CONFIG_MAP, record, { dryRun: req.dryRun, signal: req.signal })
      const name = created.metadata.name ?? ''
      const entries: KubeconfigEntry[] = []
      try {
        for (const clusterId of ids) {
          const issued = await issueExtToken(client, caller, { ttlMs: ttlS * 1000, clusterName: clusterId, description: `kubeconfig ${name}`, labels: { [EXT_KUBECONFIG_LABEL]: name }, dryRun: req.dryRun, signal: req.signal })
          entries.push({ clusterId, server: `${serverUrl}/k8s/clusters/${clusterId}`, token: issued.value })
        }
      } catch (err) {
        if (!req.dryRun) await removeKubeconfig(name)
        throw err
      }
      const tokens = entries.map((e) => e.token.slice('ext/'.length).split(':')[0]!)
      const saved = req.dryRun ? created : await client.patch<Record>(CONFIG_MAP, name, { data: { tokens: JSON.stringify(tokens) } }, { namespace: KUBECONFIG_NAMESPACE, signal: req.signal })
      if (!req.dryRun) logger.info({ user: caller.userId, kubeconfig: name, clusters: ids, ttlS }, 'kubeconfig created')
      const ca = await setting(client, 'cacerts', req.signal)
      const shown = typed(saved)
      return { ...shown, status: { ...shown.status, value: kubeconfigYaml(entries, current, ca || undefined) } }
    },
    async get(req) {
      return typed(await readable(req))
    },
    async list(req) {
      const owner = await scope(req)
      const only = nameFromFieldSelector(req.fieldSelector)
      const selector = [...(owner !== undefined ? [`${OWNER_LABEL}=${owner}`] : []), ...(req.labelSelector ? [req.labelSelector] : [])].join(',')
      const items = (await client.list<Record>(CONFIG_MAP, { namespace: KUBECONFIG_NAMESPACE, labelSelector: selector, signal: req.signal })).items
      return items.filter((r) => only === undefined || r.metadata.name === only).map(typed)
    },
    async delete(req) {
      const r = await readable(req)
      if (!req.dryRun) await removeKubeconfig(req.name, req.signal)
      logger.info({ by: req.user.name, kubeconfig: req.name, dryRun: req.dryRun }, 'kubeconfig deleted')
      return typed(r)
    },
  }

  /** Its tokens first (found by label, so none is missed), then the record. */
  async function removeKubeconfig(name: string, signal?: AbortSignal): Promise<void> {
    const tokens = await extTokens(client, undefined, `${EXT_KUBECONFIG_LABEL}=${name}`, signal)
    await Promise.all(tokens.map((t) => client.delete(TOKEN, t.metadata.name ?? '', { signal })))
    await client.delete(CONFIG_MAP, name, { namespace: KUBECONFIG_NAMESPACE, signal })
  }
}
