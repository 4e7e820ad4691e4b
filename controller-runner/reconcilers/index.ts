// The reconcilers as the runtime registers them: `buildReconcilers(ctx)` → their ControllerSpecs, and
// `seed()`, which creates what no event would ever enqueue (missing settings and built-ins) once this
// replica leads.
import type { Cluster, ClusterRegistrationToken, ClusterRoleTemplateBinding, GlobalRole, GlobalRoleBinding, Project, ProjectRoleTemplateBinding, RoleTemplate, Setting, Token } from '../../protocol/crds/index.ts'
import type { Logger } from 'pino'
import { mgmt, type KubeClient, type KubeObject, type ResourceType } from '../../protocol/kube/index.ts'
import type { Cache, Clock, ControllerSpec, Request } from '../runtime/types.ts'
import { BuiltinsReconciler } from './builtins.ts'
import { ClusterReconciler } from './cluster.ts'
import { CrtbReconciler } from './crtb.ts'
import { DownstreamReconciler } from './downstream.ts'
import { GlobalRoleBindingReconciler, GlobalRoleReconciler } from './globalroles.ts'
import { parseProjectName, ProjectReconciler, PrtbReconciler } from './prtb.ts'
import { isConnected } from './rbac.ts'
import { RoleTemplateReconciler } from './roletemplates.ts'
import { templatesIncluding } from './rules.ts'
import { Settings, SettingsReconciler } from './settings.ts'
import { TokenReconciler } from './token.ts'
import { usersController } from './user.ts'

/** A downstream cluster's API, through the edge. */
export type DownstreamFactory = (clusterId: string) => KubeClient

export interface ReconcilerContext {
  /** The shared informer cache of a type (the runtime's), or any store with the same contract. */
  cache<T>(type: ResourceType): Cache<T>
  /** Management-cluster client; its writes go through the runtime's leader guard. */
  management: KubeClient
  /** Downstream cluster `id` through the edge, as `system:drover:runner`. */
  downstream: DownstreamFactory
  /** `--server-url`: the default of setting `server-url`. */
  serverUrl: string
  clock: Clock
  logger: Logger
  /** How often a connected cluster's downstream RBAC is re-applied to repair drift (default 30 s). */
  resyncMs?: number
  /** Told once a Cluster's management state is gone (`drover runner` drops its agents at the edge). */
  onClusterDeleted?: (clusterId: string) => Promise<void>
  /** Told when a Token CR is gone, however it went (`drover runner` revokes it at the edge). */
  onTokenDeleted?: (name: string) => Promise<void>
  /** Told when a User is gone or disabled, however it went (`drover runner` revokes all its tokens at the edge). */
  revokeUserTokens?: (userId: string) => Promise<void>
}

const KINDS_USED = {
  setting: mgmt('Setting'),
  globalRole: mgmt('GlobalRole'),
  globalRoleBinding: mgmt('GlobalRoleBinding'),
  roleTemplate: mgmt('RoleTemplate'),
  cluster: mgmt('Cluster'),
  crt: mgmt('ClusterRegistrationToken'),
  crtb: mgmt('ClusterRoleTemplateBinding'),
  project: mgmt('Project'),
  prtb: mgmt('ProjectRoleTemplateBinding'),
  token: mgmt('Token'),
} as const

/** Settings that change what the Cluster reconciler writes: a change re-enqueues every Cluster. */
const CLUSTER_SETTINGS = new Set(['server-url', 'cluster-registration-token-ttl-minutes', 'cluster-registration-token-grace-minutes'])

export interface Reconcilers {
  settings: Settings
  specs: ControllerSpec[]
  /** Run once per leadership term: creates missing settings and built-in roles (no event enqueues a missing object). */
  seed(): Promise<void>
}

export function buildReconcilers(ctx: ReconcilerContext): Reconcilers {
  const k = KINDS_USED
  const caches = {
    settings: ctx.cache<Setting>(k.setting),
    globalRoles: ctx.cache<GlobalRole>(k.globalRole),
    grbs: ctx.cache<GlobalRoleBinding>(k.globalRoleBinding),
    roleTemplates: ctx.cache<RoleTemplate>(k.roleTemplate),
    clusters: ctx.cache<Cluster>(k.cluster),
    crts: ctx.cache<ClusterRegistrationToken>(k.crt),
    crtbs: ctx.cache<ClusterRoleTemplateBinding>(k.crtb),
    projects: ctx.cache<Project>(k.project),
    prtbs: ctx.cache<ProjectRoleTemplateBinding>(k.prtb),
    tokens: ctx.cache<Token>(k.token),
  }
  const client = ctx.management
  const resyncMs = ctx.resyncMs ?? 30_000
  const settings = new Settings(caches.settings, { serverUrl: ctx.serverUrl })
  const settingsReconciler = new SettingsReconciler({ settings, cache: caches.settings, client })
  const builtinGlobalRoles = new BuiltinsReconciler('GlobalRole', client)
  const builtinRoleTemplates = new BuiltinsReconciler('RoleTemplate', client)

  const key = (o: { metadata: { name?: string; namespace?: string } }): Request =>
    o.metadata.namespace ? { namespace: o.metadata.namespace, name: o.metadata.name! } : { name: o.metadata.name! }
  const allClusters = () => caches.clusters.list().map(key)
  const connectedClusters = () => caches.clusters.list().filter(isConnected).map(key)
  /** A GRB matters downstream when its role inherits cluster roles (a deleted one: for the prune). */
  const inherits = (grb: KubeObject & { globalRoleName?: string }) => (caches.globalRoles.get(grb.globalRoleName ?? '')?.inheritedClusterRoles?.length ?? 0) > 0
  const bindingsOfTemplate = <B extends { roleTemplateName?: string; metadata: { name?: string; namespace?: string } }>(cache: Cache<B>, rt: string) => {
    const including = templatesIncluding(caches.roleTemplates, rt)
    return cache.list().filter((b) => including.has(b.roleTemplateName ?? '')).map(key)
  }
  const clusterOfPrtb = (b: KubeObject & { projectName?: string }): Request[] => {
    try {
      return [{ name: parseProjectName(b.projectName)[0] }]
    } catch {
      return []
    }
  }

  const specs: ControllerSpec[] = [
    { name: 'settings', type: k.setting, reconciler: settingsReconciler },
    { name: 'builtin-globalroles', type: k.globalRole, reconciler: builtinGlobalRoles },
    { name: 'builtin-roletemplates', type: k.roleTemplate, reconciler: builtinRoleTemplates },
    {
      name: 'clusters',
      type: k.cluster,
      workers: 16,
      reconciler: new ClusterReconciler({ clusters: caches.clusters, crts: caches.crts, crtbs: caches.crtbs, client, settings, clock: ctx.clock, ...(ctx.onClusterDeleted ? { onClusterDeleted: ctx.onClusterDeleted } : {}) }),
      watches: [
        { type: k.crt, map: (o) => (o.metadata.namespace ? [{ name: o.metadata.namespace }] : []) },
        { type: k.setting, map: (o) => (CLUSTER_SETTINGS.has(o.metadata.name ?? '') ? allClusters() : []) },
      ],
    },
    { name: 'globalroles', type: k.globalRole, workers: 2, reconciler: new GlobalRoleReconciler({ globalRoles: caches.globalRoles, client }) },
    {
      name: 'globalrolebindings',
      type: k.globalRoleBinding,
      workers: 4,
      reconciler: new GlobalRoleBindingReconciler({ bindings: caches.grbs, client }),
    },
    {
      name: 'clusterroletemplatebindings',
      type: k.crtb,
      workers: 4,
      reconciler: new CrtbReconciler({ bindings: caches.crtbs, roleTemplates: caches.roleTemplates, clusters: caches.clusters, client }),
      watches: [
        { type: k.cluster, map: (o) => caches.crtbs.list(o.metadata.name).map(key) },
        { type: k.roleTemplate, map: (o) => bindingsOfTemplate(caches.crtbs, o.metadata.name ?? '') },
      ],
    },
    { name: 'roletemplates', type: k.roleTemplate, workers: 2, reconciler: new RoleTemplateReconciler({ roleTemplates: caches.roleTemplates, client }) },
    { name: 'projects', type: k.project, workers: 2, reconciler: new ProjectReconciler({ projects: caches.projects, client }) },
    {
      name: 'projectroletemplatebindings',
      type: k.prtb,
      workers: 4,
      reconciler: new PrtbReconciler({ bindings: caches.prtbs, roleTemplates: caches.roleTemplates, projects: caches.projects, clusters: caches.clusters, client }),
      watches: [
        { type: k.roleTemplate, map: (o) => bindingsOfTemplate(caches.prtbs, o.metadata.name ?? '') },
        // A binding made before its project's reconcile, or whose project comes back, is granted then.
        { type: k.project, map: (o) => caches.prtbs.list(o.metadata.name).map(key) },
      ],
    },
    { name: 'tokens', type: k.token, workers: 2, reconciler: new TokenReconciler({ tokens: caches.tokens, client, clock: ctx.clock, ...(ctx.onTokenDeleted ? { onTokenDeleted: ctx.onTokenDeleted } : {}) }) },
    usersController(ctx, client),
    // Last, so that a pass over every controller (the tests' harness) writes management RBAC first.
    {
      name: 'downstream',
      type: k.cluster,
      workers: 8,
      reconciler: new DownstreamReconciler({ ...caches, client, downstream: ctx.downstream, resyncMs }),
      watches: [
        { type: k.globalRoleBinding, map: (o) => (inherits(o) ? connectedClusters() : []) },
        { type: k.globalRole, map: () => connectedClusters() },
        { type: k.roleTemplate, map: () => connectedClusters() },
        { type: k.crtb, map: (o) => (o.metadata.namespace ? [{ name: o.metadata.namespace }] : []) },
        { type: k.prtb, map: clusterOfPrtb },
      ],
    },
  ]
  return {
    settings,
    specs,
    seed: async () => {
      await settingsReconciler.seed()
      await builtinRoleTemplates.seed()
      await builtinGlobalRoles.seed()
    },
  }
}

export { fromControllerContext } from './context.ts'
