import { GROUP, type Cluster } from '../../protocol/crds/index.ts'
import { mgmt } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { minutesSetting, setting } from '../mgmt/settings.ts'
import { KUBECONFIG_FOR_LABEL, issueToken, removeTokens, tokensWhere, USER_ID_LABEL } from '../identity/tokens.ts'
import { edgeKube, origin, userKube, type V3Context } from './context.ts'
import { crudRoutes, getAsCaller } from './crud.ts'
import { kubeconfigYaml } from './kubeconfig.ts'
import { RESOURCES } from './resources.ts'
import { subjectOf } from './subject.ts'
import { visibleNames } from './visibility.ts'

const def = RESOURCES.cluster

/** The clusters the caller may see: listed by the edge, kept by the caller's own RBAC rules. */
export async function visibleClusters(c: V3Context): Promise<(Cluster & KubeObject)[]> {
  const visible = await visibleNames(userKube(c), GROUP, 'clusters')
  if (visible !== '*' && visible.size === 0) return []
  const all = (await edgeKube(c).list<Cluster & KubeObject>(mgmt('Cluster'))).items
  return visible === '*' ? all : all.filter((cl) => visible.has(cl.metadata.name ?? ''))
}

type Condition = { type?: string; status?: string }

/** Rancher's cluster states: active when Ready, pending until an agent first connects, else unavailable. */
function stateOf(cluster: KubeObject): string {
  if (cluster.metadata.deletionTimestamp) return 'removing'
  const status = (cluster.status ?? {}) as { conditions?: Condition[]; version?: unknown }
  if (status.conditions?.find((x) => x.type === 'Ready')?.status === 'True') return 'active'
  // Facts arrive with an agent's first connection: without them, the cluster has never registered.
  return status.version ? 'unavailable' : 'pending'
}

async function generateKubeconfig(c: V3Context, id: string): Promise<Response> {
  const cluster = await getAsCaller(c, def, id) // the caller must be allowed to see it
  const principal = c.var.principal
  const subject = subjectOf(principal)
  if (principal.clusters !== '*' && !principal.clusters.includes(id)) throw new ApiError(403, `this credential is not valid for cluster ${id}`)
  const edge = edgeKube(c)
  // One live kubeconfig token per user and cluster: the previous one is revoked, so they never pile up.
  const forLabel = `${subject.userId}.${id}`
  const previous = await tokensWhere(edge, `${USER_ID_LABEL}=${subject.userId},${KUBECONFIG_FOR_LABEL}=${forLabel}`)
  const ttlMs = (await minutesSetting(edge, 'kubeconfig-default-token-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, { kind: 'kubeconfig', subject, ttlMs, clusterId: id, description: `kubeconfig for ${id}`, labels: { [KUBECONFIG_FOR_LABEL]: forLabel } })
  await removeTokens(c.env, edge, previous.map((t) => t.metadata.name ?? '').filter(Boolean))
  const serverUrl = (await setting(edge, 'server-url')) || origin(c)
  const ca = await setting(edge, 'cacerts')
  const spec = (cluster.spec ?? {}) as { displayName?: string }
  const config = kubeconfigYaml({
    clusterId: id,
    clusterName: spec.displayName ?? id,
    server: `${serverUrl.replace(/\/$/, '')}/k8s/clusters/${id}`,
    token: issued.value,
    ...(ca ? { caData: btoa(ca) } : {}),
  })
  return c.json({ type: 'generateKubeConfigOutput', baseType: 'generateKubeConfigOutput', config })
}

export const clusters = crudRoutes(def, {
  list: visibleClusters,
  present: (_c, obj, fields) => ({ ...fields, state: stateOf(obj), driver: (fields.driver as string) || 'imported', internal: obj.metadata.name === 'local' }),
  beforeWrite: async (_c, obj, _body, existing) => {
    if (!existing) (obj.spec as Record<string, unknown>).internal = false
  },
  actions: { generateKubeconfig },
})
