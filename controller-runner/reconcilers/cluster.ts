// Cluster: its namespace in the management cluster, its registration token (CRT + Secret, rotated),
// the Connected/Ready conditions, the creator's owner binding, and cleanup behind a finalizer.
import type { Cluster, ClusterRegistrationToken, ClusterRoleTemplateBinding } from '../../protocol/crds/index.ts'
import type { Cache, Clock, Reconciler, Request, Result } from '../runtime/types.ts'
import { apply, prune, semanticEqual } from './apply.ts'
import { rfc3339, setConditions, type ConditionInput } from './conditions.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, mgmt, SECRET, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { deleteOwnedNamespace, ensureOwnedNamespace } from './ownership.ts'
import { addFinalizer, ANNOTATIONS, FINALIZERS, labels, names, ownerRef, removeFinalizer, selector } from './meta.ts'
import { decodeTokenState, encodeTokenState, nextChangeIn, nextTokenState, registrationCommands, type TokenState } from './registration.ts'
import type { Settings } from './settings.ts'
import { REGISTRATION_SECRET_TYPE } from '../../protocol/api/registration.ts'

const CLUSTER = mgmt('Cluster')
const CRT = mgmt('ClusterRegistrationToken')
const CRTB = mgmt('ClusterRoleTemplateBinding')

interface Secret extends KubeObject {
  type?: string
  data?: Record<string, string>
}

export interface ClusterDeps {
  clusters: Cache<Cluster>
  client: KubeClient
  settings: Settings
  clock: Clock
  /** Told once a cluster's management state is gone (the lead wires it to the edge's tunnel). */
  onClusterDeleted?: (clusterId: string) => Promise<void>
  /** Informer caches of CRTs and CRTBs: with them, a reconcile that finds nothing to do makes no API call. */
  crts?: Cache<ClusterRegistrationToken>
  crtbs?: Cache<ClusterRoleTemplateBinding>
}

/** A full reconcile (re-reading namespace, CRT and Secret from the apiserver) at least this often per cluster. */
export const FULL_RECONCILE_MS = 10 * 60_000

export class ClusterReconciler implements Reconciler {
  /** When each cluster last had a full reconcile; the fast path is taken only within FULL_RECONCILE_MS. */
  private readonly fullAt = new Map<string, number>()

  constructor(private readonly deps: ClusterDeps) {}

  async reconcile({ name }: Request): Promise<Result> {
    const cached = this.deps.clusters.get(name)
    if (!cached) {
      this.fullAt.delete(name)
      return {}
    }
    if (cached.metadata.deletionTimestamp) return this.finalize(cached)
    const fast = this.settled(cached)
    if (fast) {
      // Every write of the full path is already in place (as far as the caches say): conditions only.
      await this.updateConditions(cached)
      return fast
    }
    // A Cluster whose token the cache has never seen is most likely new: create first, read only on conflict.
    const isNew = this.deps.crts !== undefined && !this.deps.crts.get(names.registrationToken, name)
    // Admission adds the finalizer at creation (drover-cluster-finalizer, infra/management/admission.ts), so
    // this writes only for a Cluster created before that policy or where it is not installed.
    const cluster = await addFinalizer(this.deps.client, CLUSTER, cached, FINALIZERS.cluster)
    await ensureOwnedNamespace(this.deps.client, cluster, name, 'cluster', name, { likelyMissing: isNew })
    const token = await this.ensureRegistration(cluster, isNew)
    await this.updateConditions(cluster)
    await this.ensureCreatorBinding(cluster)
    this.fullAt.set(name, this.deps.clock.now())
    const next = nextChangeIn(token, this.deps.clock.now())
    return next === undefined ? {} : { requeueAfter: next }
  }

  /**
   * The fast path's test, from the caches alone: a recent full reconcile, the finalizer, the CRT with
   * status for the current server URL and a token not yet due for rotation, and the creator's binding.
   * A Cluster is re-enqueued by its own updates and its CRT's; without this each of those re-reads
   * the namespace, CRT and Secret (P8). Returns the requeue, or undefined for the full path.
   */
  private settled(cluster: Cluster): Result | undefined {
    const { crts, crtbs, clock, settings } = this.deps
    const id = cluster.metadata.name!
    const now = clock.now()
    const full = this.fullAt.get(id)
    if (!crts || !crtbs || full === undefined || now - full > FULL_RECONCILE_MS) return undefined
    if (!cluster.metadata.finalizers?.includes(FINALIZERS.cluster)) return undefined
    const crt = crts.get(names.registrationToken, id)
    const url = crt?.status?.manifestUrl ?? ''
    const server = settings.get('server-url').replace(/\/+$/, '')
    if (!url.startsWith(`${server}/v3/import/`) || !url.endsWith(`_${id}.yaml`)) return undefined
    const expires = Date.parse(crt?.status?.expiresAt ?? '')
    if (!Number.isFinite(expires) || expires <= now) return undefined
    if (cluster.metadata.annotations?.[ANNOTATIONS.creatorId] && !crtbs.get(names.creatorBinding, id)) return undefined
    return { requeueAfter: Math.min(expires - now, full + FULL_RECONCILE_MS - now) }
  }

  /** CRT `default-token`, its Secret (token rotated at expiry, previous kept for the grace period), CRT status. */
  private async ensureRegistration(cluster: Cluster, isNew: boolean): Promise<TokenState> {
    const id = cluster.metadata.name!
    const { client, settings, clock } = this.deps
    const applied = await apply<ClusterRegistrationToken>(
      client,
      CRT,
      {
        apiVersion: 'management.cattle.io/v3',
        kind: 'ClusterRegistrationToken',
        metadata: { name: names.registrationToken, namespace: id, labels: labels('cluster', id), ownerReferences: [ownerRef(cluster)] },
        spec: { clusterName: id },
      },
      isNew ? { current: null } : {},
    )
    const crt = applied.object
    const secretName = names.registrationSecret(crt.metadata.name!)
    // A CRT created just now has no Secret yet (a leftover one is found by the create's conflict, and replaced).
    const live = applied.outcome === 'created' ? null : ((await client.find<Secret>(SECRET, secretName, id)) ?? null)
    const current = live?.type === REGISTRATION_SECRET_TYPE ? decodeTokenState(live.data) : undefined
    const life = {
      ttlMs: settings.minutes('cluster-registration-token-ttl-minutes', 43200),
      graceMs: settings.minutes('cluster-registration-token-grace-minutes', 60),
    }
    const state = nextTokenState(current, clock.now(), life)
    await apply<Secret>(
      client,
      SECRET,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: id, labels: labels('cluster', id), ownerReferences: [ownerRef(crt)] },
        type: REGISTRATION_SECRET_TYPE,
        data: encodeTokenState(state),
      },
      { current: live, recreate: (cur, want) => cur.type !== want.type },
    )
    const status = registrationCommands(settings.get('server-url'), id, state)
    if (!semanticEqual({ ...crt.status }, { ...crt.status, ...status })) {
      await client.patch(CRT, crt.metadata.name!, { metadata: { resourceVersion: crt.metadata.resourceVersion }, status }, { namespace: id, subresource: 'status' })
    }
    return state
  }

  private async updateConditions(cluster: Cluster): Promise<void> {
    const s = cluster.status ?? {}
    const connected = s.connected === true
    const want: ConditionInput[] = [
      connected ? { type: 'Connected', status: 'True', reason: 'AgentConnected' } : { type: 'Connected', status: 'False', reason: 'Disconnected', message: 'no agent of this cluster is connected to the edge' },
      readyCondition(s),
    ]
    const next = setConditions(s.conditions, want, rfc3339(this.deps.clock.now()))
    if (semanticEqual(next, s.conditions)) return
    await this.deps.client.patch(CLUSTER, cluster.metadata.name!, { metadata: { resourceVersion: cluster.metadata.resourceVersion }, status: { conditions: next } }, { subresource: 'status' })
  }

  private async ensureCreatorBinding(cluster: Cluster): Promise<void> {
    const creator = cluster.metadata.annotations?.[ANNOTATIONS.creatorId]
    if (!creator) return
    const id = cluster.metadata.name!
    if (await this.deps.client.find(CRTB, names.creatorBinding, id)) return
    const crtb: ClusterRoleTemplateBinding = {
      apiVersion: 'management.cattle.io/v3',
      kind: 'ClusterRoleTemplateBinding',
      metadata: { name: names.creatorBinding, namespace: id, labels: labels('cluster', id) },
      clusterName: id,
      roleTemplateName: 'cluster-owner',
      userName: creator,
      userPrincipalName: `local://${creator}`,
    }
    await apply(this.deps.client, CRTB, crtb)
  }

  /** Deletes the cluster's tokens, namespace and management RBAC, tells the edge, then lets it go. */
  private async finalize(cluster: Cluster): Promise<Result> {
    if (!cluster.metadata.finalizers?.includes(FINALIZERS.cluster)) return {}
    const id = cluster.metadata.name!
    const { client } = this.deps
    for (const crt of (await client.list<ClusterRegistrationToken>(CRT, { namespace: id })).items) {
      await client.delete(SECRET, names.registrationSecret(crt.metadata.name!), { namespace: id })
      await client.delete(CRT, crt.metadata.name!, { namespace: id })
    }
    await client.delete(CLUSTER_ROLE, names.clusterMemberRole(id))
    await client.delete(CLUSTER_ROLE, names.clusterOwnerRole(id))
    await prune(client, CLUSTER_ROLE_BINDING, selector('cluster', id), new Set())
    await deleteOwnedNamespace(client, id, 'cluster', id)
    await this.deps.onClusterDeleted?.(id)
    await removeFinalizer(client, CLUSTER, cluster, FINALIZERS.cluster)
    return {}
  }
}

/**
 * Ready: the agent is connected, has reported the cluster, and its kube-apiserver passes /readyz (an
 * agent that reports no readiness, an older one, is taken at its facts). A connected agent whose apiserver
 * is not ready makes the cluster APIUnavailable, not Disconnected: the tunnel is fine, the cluster is not.
 */
export function readyCondition(s: NonNullable<Cluster['status']>): ConditionInput {
  if (s.connected !== true) return { type: 'Ready', status: 'False', reason: 'Disconnected', message: 'the cluster agent is not connected' }
  const healthy = s.componentStatuses?.find((c) => c.name === 'kube-apiserver')?.conditions?.find((c) => c.type === 'Healthy')
  if (healthy?.status === 'False') {
    const why = healthy.message ? `: ${healthy.message}` : ''
    return { type: 'Ready', status: 'False', reason: 'APIUnavailable', message: `the agent is connected but the cluster's kube-apiserver is not ready${why}` }
  }
  if (!s.version?.gitVersion) return { type: 'Ready', status: 'False', reason: 'WaitingForFacts', message: 'waiting for the agent to report the cluster' }
  return { type: 'Ready', status: 'True', reason: 'Ready' }
}
