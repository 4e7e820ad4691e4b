// Project → its management namespace `<P>` (where its PRTBs live). ProjectRoleTemplateBinding
// `<C>:<P>` → in downstream cluster C, RoleBinding `prtb-<name>` to the RoleTemplate's ClusterRole in every
// namespace annotated `field.cattle.io/projectId: <C>:<P>`. The runner has no downstream informers, so
// namespaces are listed on each reconcile and the reconcile comes back every resync period.
import type { Cluster, Project, ProjectRoleTemplateBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import { TerminalError, type Cache, type Reconciler, type Request, type Result } from '../runtime/types.ts'
import { apply } from './apply.ts'
import { apiVersionOf, mgmt, NAMESPACE, ROLE_BINDING, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { DownstreamFactory } from './index.ts'
import { deleteOwnedNamespace, ensureOwnedNamespace, ownedBy, refuse } from './ownership.ts'
import { forEachLimited } from './limit.ts'
import { addFinalizer, ANNOTATIONS, FINALIZERS, labels, labelValue, names, removeFinalizer, selector } from './meta.ts'
import { binding, ensureTemplateRole, isConnected, roleRefChanged, subjectsOf, type Binding } from './rbac.ts'
import { templateClosure } from './rules.ts'

const PRTB = mgmt('ProjectRoleTemplateBinding')
const PROJECT = mgmt('Project')

export class ProjectReconciler implements Reconciler {
  constructor(private readonly deps: { projects: Cache<Project>; client: KubeClient }) {}

  async reconcile({ name, namespace }: Request): Promise<Result> {
    const p = this.deps.projects.get(name, namespace)
    const owner = labelValue(`${namespace}.${name}`)
    if (!p || p.metadata.deletionTimestamp) {
      // Only the namespace this project's own reconcile created (labelled with it).
      await deleteOwnedNamespace(this.deps.client, name, 'project', owner)
      return {}
    }
    await ensureOwnedNamespace(this.deps.client, { ...p, apiVersion: apiVersionOf(PROJECT), kind: PROJECT.kind }, name, 'project', owner)
    if (p.status?.backingNamespace !== name) {
      await this.deps.client.patch(PROJECT, name, { metadata: { resourceVersion: p.metadata.resourceVersion }, status: { backingNamespace: name } }, { namespace, subresource: 'status' })
    }
    return {}
  }
}

export interface PrtbDeps {
  bindings: Cache<ProjectRoleTemplateBinding>
  roleTemplates: Cache<RoleTemplate>
  clusters: Cache<Cluster>
  client: KubeClient
  downstream: DownstreamFactory
  resyncMs: number
}

interface Namespace extends KubeObject {}

/** `<C>:<P>` → [C, P]. */
export function parseProjectName(projectName: string | undefined): [string, string] {
  const m = /^([^:]+):([^:]+)$/.exec(projectName ?? '')
  if (!m) throw new TerminalError(`projectName ${JSON.stringify(projectName)} is not <cluster>:<project>`)
  return [m[1]!, m[2]!]
}

export class PrtbReconciler implements Reconciler {
  constructor(private readonly deps: PrtbDeps) {}

  async reconcile({ name, namespace }: Request): Promise<Result> {
    const cached = this.deps.bindings.get(name, namespace)
    if (!cached) return {}
    const clusterId = await this.scope(cached)
    const cluster = clusterId ? this.deps.clusters.get(clusterId) : undefined
    if (cached.metadata.deletionTimestamp) return this.finalize(cached, cluster)
    if (!clusterId) {
      await refuse(this.deps.client, { ...cached, apiVersion: apiVersionOf(PRTB), kind: PRTB.kind }, 'ScopeMismatch', `projectName ${JSON.stringify(cached.projectName ?? '')} is not the project whose namespace (${namespace}) it lives in; nothing is granted`)
    }
    const prtb = await addFinalizer(this.deps.client, PRTB, cached, FINALIZERS.downstream)
    const rtName = prtb.roleTemplateName ?? ''
    templateClosure(this.deps.roleTemplates, rtName)
    const subjects = subjectsOf(prtb)
    if (!isConnected(cluster)) return { requeueAfter: this.deps.resyncMs }
    const down = this.deps.downstream(clusterId!)
    await ensureTemplateRole(down, this.deps.roleTemplates, rtName)
    const targets = await this.projectNamespaces(down, prtb.projectName!)
    const own = labels('prtb', this.ownerValue(prtb))
    await forEachLimited(targets, 8, async (ns) => {
      await apply<Binding>(down, ROLE_BINDING, binding('RoleBinding', { name: names.prtb(name), namespace: ns, labels: own }, { kind: 'ClusterRole', name: rtName }, subjects), {
        recreate: roleRefChanged,
      })
    })
    await this.prune(down, prtb, new Set(targets))
    return { requeueAfter: this.deps.resyncMs }
  }

  /**
   * The cluster a binding applies to, derived from where it lives: its namespace must be a project
   * namespace the runner created (owner label `<cluster>.<project>`), and projectName must name that very
   * project. Undefined when they disagree.
   */
  private async scope(prtb: ProjectRoleTemplateBinding): Promise<string | undefined> {
    const ns = prtb.metadata.namespace!
    let cluster: string, project: string
    try {
      ;[cluster, project] = parseProjectName(prtb.projectName)
    } catch {
      return undefined
    }
    if (project !== ns) return undefined
    const live = await this.deps.client.find<Namespace>(NAMESPACE, ns)
    return ownedBy(live, 'project', labelValue(`${cluster}.${project}`)) ? cluster : undefined
  }

  private async projectNamespaces(down: KubeClient, projectId: string): Promise<string[]> {
    const all = (await down.list<Namespace>(NAMESPACE)).items
    return all.filter((n) => n.metadata.annotations?.[ANNOTATIONS.projectId] === projectId && !n.metadata.deletionTimestamp).map((n) => n.metadata.name!)
  }

  /** Deletes this binding's RoleBindings outside `keep` (namespaces that left the project). */
  private async prune(down: KubeClient, prtb: ProjectRoleTemplateBinding, keep: ReadonlySet<string>): Promise<void> {
    for (const rb of (await down.list<Binding>(ROLE_BINDING, { labelSelector: selector('prtb', this.ownerValue(prtb)) })).items) {
      if (!keep.has(rb.metadata.namespace!)) await down.delete(ROLE_BINDING, rb.metadata.name!, { namespace: rb.metadata.namespace, preconditions: { uid: rb.metadata.uid! } })
    }
  }

  private ownerValue(prtb: ProjectRoleTemplateBinding): string {
    return labelValue(`${prtb.metadata.namespace}.${prtb.metadata.name}`)
  }

  private async finalize(prtb: ProjectRoleTemplateBinding, cluster: Cluster | undefined): Promise<Result> {
    if (!prtb.metadata.finalizers?.includes(FINALIZERS.downstream)) return {}
    if (isConnected(cluster)) await this.prune(this.deps.downstream(cluster!.metadata.name!), prtb, new Set())
    else if (cluster && !cluster.metadata.deletionTimestamp) return { requeueAfter: this.deps.resyncMs }
    await removeFinalizer(this.deps.client, PRTB, prtb, FINALIZERS.downstream)
    return {}
  }
}
