// Everything one downstream cluster needs, reconciled under that cluster's own key: the ClusterRoles its
// RoleTemplates become, the bindings of GlobalRoleBindings whose role inherits cluster roles, of its
// ClusterRoleTemplateBindings and of its ProjectRoleTemplateBindings (in the project's namespaces), and
// the removal of whatever drover made there that no source asks for any more. The management side of each
// binding is its own controller's, written first and without touching any downstream cluster, so a cluster
// that cannot be reached fails (and backs off) alone: no binding, and no other cluster, waits for it.
//
// Desired state comes from the management caches alone; deletions are found by listing what carries
// drover's downstream owner labels, so a source deleted while the cluster was offline is cleaned up when
// it is back. Cluster `local` is downstream too: the selectors below match downstream objects only, never
// the management cluster's own (which carry other owner labels, or `drover.io/cluster`).
import type { Cluster, ClusterRoleTemplateBinding, GlobalRole, GlobalRoleBinding, ProjectRoleTemplateBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, NAMESPACE, ROLE_BINDING, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { TerminalError, type Cache, type Reconciler, type Request, type Result } from '../runtime/types.ts'
import { apply, pruneObjects } from './apply.ts'
import type { DownstreamFactory } from './index.ts'
import { forEachLimited } from './limit.ts'
import { ANNOTATIONS, labels, labelValue, names, OWNER_LABELS } from './meta.ts'
import { prtbScope } from './prtb.ts'
import { binding, ensureTemplateRole, isConnected, roleRefChanged, subjectsOf, type Binding } from './rbac.ts'
import { templateClosure } from './rules.ts'

const SELECT = {
  grb: OWNER_LABELS.globalRoleBindingDownstream,
  // The management cluster's CRTB bindings carry `drover.io/crtb` too, and `drover.io/cluster` besides.
  crtb: `${OWNER_LABELS.crtb},!${OWNER_LABELS.cluster}`,
  // So do a PRTB's management grants (prtb-access.ts), in cluster `local` which is downstream too.
  prtb: `${OWNER_LABELS.prtb},!${OWNER_LABELS.cluster}`,
  roleTemplate: OWNER_LABELS.roleTemplate,
} as const

export interface DownstreamDeps {
  clusters: Cache<Cluster>
  grbs: Cache<GlobalRoleBinding>
  globalRoles: Cache<GlobalRole>
  roleTemplates: Cache<RoleTemplate>
  crtbs: Cache<ClusterRoleTemplateBinding>
  prtbs: Cache<ProjectRoleTemplateBinding>
  /** The management cluster: where a PRTB's scope is checked. */
  client: KubeClient
  downstream: DownstreamFactory
  /** How often a connected cluster is reconciled again (drift repair; the runner has no downstream informers). */
  resyncMs: number
}

/** What one pass wants in the cluster: names to keep, per kind of object. */
interface Wanted {
  grb: Set<string>
  crtb: Set<string>
  /** `namespace/name` of RoleBindings, and names kept in every namespace (a binding that could not be resolved this time). */
  prtb: Set<string>
  prtbAnyNamespace: Set<string>
}

export class DownstreamReconciler implements Reconciler {
  constructor(private readonly deps: DownstreamDeps) {}

  async reconcile({ name: id }: Request): Promise<Result> {
    const cluster = this.deps.clusters.get(id)
    // A cluster that connects (or reconnects) is enqueued by its own status change.
    if (!isConnected(cluster)) return {}
    const down = this.deps.downstream(id)
    const roles = templateRoles(down, this.deps.roleTemplates)
    const wanted: Wanted = { grb: new Set(), crtb: new Set(), prtb: new Set(), prtbAnyNamespace: new Set() }
    await this.globalRoleBindings(down, roles, wanted)
    await this.clusterBindings(id, down, roles, wanted)
    await this.projectBindings(id, down, roles, wanted)
    await this.prune(down, wanted)
    return { requeueAfter: this.deps.resyncMs }
  }

  /** For each GlobalRoleBinding whose role inherits cluster roles: a ClusterRoleBinding per inherited role. */
  private async globalRoleBindings(down: KubeClient, roles: TemplateRoles, wanted: Wanted): Promise<void> {
    for (const grb of this.deps.grbs.list()) {
      if (grb.metadata.deletionTimestamp) continue
      const name = grb.metadata.name!
      const inherited = this.deps.globalRoles.get(grb.globalRoleName ?? '')?.inheritedClusterRoles ?? []
      for (const rt of inherited) {
        const crb = names.globalAdminBinding(name, inherited, rt)
        wanted.grb.add(crb)
        await skipTerminal(async () => {
          const subjects = subjectsOf(grb)
          await roles.ensure(rt)
          await apply<Binding>(down, CLUSTER_ROLE_BINDING, binding('ClusterRoleBinding', { name: crb, labels: labels('globalRoleBindingDownstream', name) }, { kind: 'ClusterRole', name: rt }, subjects), { recreate: roleRefChanged })
        })
      }
    }
  }

  /** The cluster's ClusterRoleTemplateBindings (those that live in its namespace and name it). */
  private async clusterBindings(id: string, down: KubeClient, roles: TemplateRoles, wanted: Wanted): Promise<void> {
    for (const crtb of this.deps.crtbs.list(id)) {
      if (crtb.metadata.deletionTimestamp || crtb.clusterName !== id) continue
      const name = crtb.metadata.name!
      wanted.crtb.add(names.crtb(name))
      await skipTerminal(async () => {
        const rtName = crtb.roleTemplateName ?? ''
        if (this.deps.roleTemplates.get(rtName)?.context === 'project') throw new TerminalError(`${rtName} is a project role`)
        templateClosure(this.deps.roleTemplates, rtName)
        const subjects = subjectsOf(crtb)
        await roles.ensure(rtName)
        await apply<Binding>(down, CLUSTER_ROLE_BINDING, binding('ClusterRoleBinding', { name: names.crtb(name), labels: labels('crtb', labelValue(name)) }, { kind: 'ClusterRole', name: rtName }, subjects), { recreate: roleRefChanged })
      })
    }
  }

  /** PRTBs of the cluster's projects: a RoleBinding in every namespace annotated with the project. */
  private async projectBindings(id: string, down: KubeClient, roles: TemplateRoles, wanted: Wanted): Promise<void> {
    const mine = this.deps.prtbs.list().filter((b) => !b.metadata.deletionTimestamp && (b.projectName ?? '').startsWith(`${id}:`))
    if (!mine.length) return
    const namespaces = (await down.list<KubeObject>(NAMESPACE)).items.filter((n) => !n.metadata.deletionTimestamp)
    for (const prtb of mine) {
      const name = names.prtb(prtb.metadata.name!)
      wanted.prtbAnyNamespace.add(name)
      await skipTerminal(async () => {
        if ((await prtbScope(this.deps.client, prtb)) !== id) throw new TerminalError('out of scope')
        const rtName = prtb.roleTemplateName ?? ''
        templateClosure(this.deps.roleTemplates, rtName)
        const subjects = subjectsOf(prtb)
        await roles.ensure(rtName)
        const targets = namespaces.filter((n) => n.metadata.annotations?.[ANNOTATIONS.projectId] === prtb.projectName).map((n) => n.metadata.name!)
        const own = labels('prtb', labelValue(`${prtb.metadata.namespace}.${prtb.metadata.name}`))
        await forEachLimited(targets, 8, async (ns) => {
          await apply<Binding>(down, ROLE_BINDING, binding('RoleBinding', { name, namespace: ns, labels: own }, { kind: 'ClusterRole', name: rtName }, subjects), { recreate: roleRefChanged })
        })
        // Resolved: from now on only the namespaces it is in are kept.
        wanted.prtbAnyNamespace.delete(name)
        for (const ns of targets) wanted.prtb.add(`${ns}/${name}`)
      })
    }
  }

  /** Deletes drover's downstream objects no source wants: bindings of deleted sources, roles of deleted templates. */
  private async prune(down: KubeClient, wanted: Wanted): Promise<void> {
    const list = async (type: typeof CLUSTER_ROLE, labelSelector: string) => (await down.list<KubeObject>(type, { labelSelector })).items
    await pruneObjects(down, CLUSTER_ROLE_BINDING, await list(CLUSTER_ROLE_BINDING, SELECT.grb), wanted.grb)
    await pruneObjects(down, CLUSTER_ROLE_BINDING, await list(CLUSTER_ROLE_BINDING, SELECT.crtb), wanted.crtb)
    const stale = (await list(ROLE_BINDING, SELECT.prtb)).filter((rb) => !wanted.prtbAnyNamespace.has(rb.metadata.name!) && !wanted.prtb.has(`${rb.metadata.namespace}/${rb.metadata.name}`))
    await pruneObjects(down, ROLE_BINDING, stale, new Set())
    const orphaned = (await list(CLUSTER_ROLE, SELECT.roleTemplate)).filter((role) => {
      const rt = this.deps.roleTemplates.get(role.metadata.labels?.[OWNER_LABELS.roleTemplate] ?? '')
      return !rt || Boolean(rt.metadata.deletionTimestamp)
    })
    await pruneObjects(down, CLUSTER_ROLE, orphaned, new Set())
  }
}

interface TemplateRoles {
  /** Makes the template's ClusterRole exist (once per reconcile, however many bindings use it). */
  ensure(name: string): Promise<void>
}

function templateRoles(down: KubeClient, templates: Cache<RoleTemplate>): TemplateRoles {
  const done = new Map<string, Promise<void>>()
  return {
    ensure(name) {
      let p = done.get(name)
      if (!p) done.set(name, (p = ensureTemplateRole(down, templates, name)))
      return p
    },
  }
}

/**
 * A binding that cannot be materialised (a missing or cyclic template, no subject, a role name taken by
 * the cluster's own ClusterRole) is skipped: its own controller reports it. Everything else throws, and
 * the cluster's reconcile is retried.
 */
async function skipTerminal(fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (e) {
    if (!(e instanceof TerminalError)) throw e
  }
}
