// Project → its management namespace `<P>` (where its PRTBs live). ProjectRoleTemplateBinding `<C>:<P>`:
// checked here (scope, template); in the management cluster it lets its subject see the Project and its
// Cluster (prtb-access.ts); downstream, the downstream controller materialises it under cluster C's key as
// RoleBinding `prtb-<name>` in every namespace annotated `field.cattle.io/projectId: <C>:<P>`.
import type { Cluster, Project, ProjectRoleTemplateBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import { apiVersionOf, mgmt, NAMESPACE, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { TerminalError, type Cache, type Reconciler, type Request, type Result } from '../runtime/types.ts'
import { addFinalizer, FINALIZERS, labelValue, removeFinalizer } from './meta.ts'
import { deleteOwnedNamespace, ensureOwnedNamespace, ownedBy, refuse } from './ownership.ts'
import { grantProjectAccess, revokeProjectAccess } from './prtb-access.ts'
import { subjectsOf } from './rbac.ts'
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
  projects: Cache<Project>
  clusters: Cache<Cluster>
  client: KubeClient
}

/** `<C>:<P>` → [C, P]. */
export function parseProjectName(projectName: string | undefined): [string, string] {
  const m = /^([^:]+):([^:]+)$/.exec(projectName ?? '')
  if (!m) throw new TerminalError(`projectName ${JSON.stringify(projectName)} is not <cluster>:<project>`)
  return [m[1]!, m[2]!]
}

/**
 * The cluster a binding applies to, derived from where it lives: its namespace must be a project
 * namespace the runner created (owner label `<cluster>.<project>`), and projectName must name that very
 * project. Undefined when they disagree.
 */
export async function prtbScope(client: KubeClient, prtb: ProjectRoleTemplateBinding): Promise<string | undefined> {
  const ns = prtb.metadata.namespace!
  let cluster: string, project: string
  try {
    ;[cluster, project] = parseProjectName(prtb.projectName)
  } catch {
    return undefined
  }
  if (project !== ns) return undefined
  const live = await client.find<KubeObject>(NAMESPACE, ns)
  return ownedBy(live, 'project', labelValue(`${cluster}.${project}`)) ? cluster : undefined
}

export class PrtbReconciler implements Reconciler {
  constructor(private readonly deps: PrtbDeps) {}

  async reconcile({ name, namespace }: Request): Promise<Result> {
    const cached = this.deps.bindings.get(name, namespace)
    if (!cached) return {}
    // The finalizer holds deletion until the management grant (in the cluster's namespace, which the
    // binding cannot own across namespaces) is gone; downstream, the downstream controller prunes.
    if (cached.metadata.deletionTimestamp) {
      await revokeProjectAccess(this.deps.client, cached)
      await removeFinalizer(this.deps.client, PRTB, cached, FINALIZERS.downstream)
      return {}
    }
    const cluster = await prtbScope(this.deps.client, cached)
    if (!cluster) {
      await refuse(this.deps.client, { ...cached, apiVersion: apiVersionOf(PRTB), kind: PRTB.kind }, 'ScopeMismatch', `projectName ${JSON.stringify(cached.projectName ?? '')} is not the project whose namespace (${namespace}) it lives in; nothing is granted`)
    }
    templateClosure(this.deps.roleTemplates, cached.roleTemplateName ?? '')
    const subjects = subjectsOf(cached)
    const project = this.deps.projects.get(namespace!, cluster)
    const c = this.deps.clusters.get(cluster!)
    // A project or cluster on its way out takes the grant with it (owner references, the cluster's cleanup).
    if (!project || project.metadata.deletionTimestamp || !c || c.metadata.deletionTimestamp) return {}
    const prtb = await addFinalizer(this.deps.client, PRTB, cached, FINALIZERS.downstream)
    await grantProjectAccess(this.deps.client, prtb, project, c, subjects)
    return {}
  }
}
