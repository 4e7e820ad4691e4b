// Project → its management namespace `<P>` (where its PRTBs live). ProjectRoleTemplateBinding `<C>:<P>`:
// checked here (scope, template), materialised by the downstream controller under cluster C's key as
// RoleBinding `prtb-<name>` in every namespace annotated `field.cattle.io/projectId: <C>:<P>`.
import type { Project, ProjectRoleTemplateBinding, RoleTemplate } from '../../protocol/crds/index.ts'
import { apiVersionOf, mgmt, NAMESPACE, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { TerminalError, type Cache, type Reconciler, type Request, type Result } from '../runtime/types.ts'
import { FINALIZERS, labelValue, removeFinalizer } from './meta.ts'
import { deleteOwnedNamespace, ensureOwnedNamespace, ownedBy, refuse } from './ownership.ts'
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
    const prtb = this.deps.bindings.get(name, namespace)
    if (!prtb) return {}
    // Earlier runners held deletion for downstream cleanup; the downstream controller now prunes without it.
    if (prtb.metadata.deletionTimestamp) {
      await removeFinalizer(this.deps.client, PRTB, prtb, FINALIZERS.downstream)
      return {}
    }
    if (!(await prtbScope(this.deps.client, prtb))) {
      await refuse(this.deps.client, { ...prtb, apiVersion: apiVersionOf(PRTB), kind: PRTB.kind }, 'ScopeMismatch', `projectName ${JSON.stringify(prtb.projectName ?? '')} is not the project whose namespace (${namespace}) it lives in; nothing is granted`)
    }
    templateClosure(this.deps.roleTemplates, prtb.roleTemplateName ?? '')
    subjectsOf(prtb)
    return {}
  }
}
