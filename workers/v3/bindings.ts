import { RUNNER_IDENTITY } from '../../protocol/api/identities.ts'
import type { Project } from '../../protocol/crds/index.ts'
import { mgmt, NAMESPACE } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { visibleClusters } from './clusters.ts'
import { visibleProjects } from './project-visibility.ts'
import { edgeKube, userKube, type V3Context } from './context.ts'
import { crudRoutes } from './crud.ts'
import { providerById } from '../identity/providers/index.ts'
import { findOrCreateUser } from '../identity/users.ts'
import { assertCanBind, assertHoldsClusterRules, assertHoldsNamespaceRules, flattenRoleTemplate, globalRoleRules } from './escalation.ts'
import { RESOURCES } from './resources.ts'

const SUBJECT = ['userName', 'userPrincipalName', 'groupName', 'groupPrincipalName'] as const
const IMMUTABLE = ['roleTemplateName', 'clusterName', 'projectName', 'globalRoleName', ...SUBJECT] as const

function assertSubject(obj: KubeObject): void {
  if (!SUBJECT.some((k) => typeof obj[k] === 'string' && obj[k])) {
    throw new ApiError(422, 'a binding needs a subject: userId, userPrincipalId, groupId or groupPrincipalId', 'MissingRequired')
  }
}

/**
 * A binding to a user principal of an external provider (from `/v3/principals?action=search`) for someone
 * who has never logged in: as Rancher does, the User is made now, so the binding has a user to name and
 * their first login lands on it. Called last, once every other check has passed, so a refused binding
 * leaves no user behind. A `local://` principal must name an existing user.
 */
async function userForPrincipal(c: V3Context, obj: KubeObject): Promise<void> {
  const principalId = typeof obj.userPrincipalName === 'string' ? obj.userPrincipalName : ''
  if (obj.userName || !principalId) return
  if (principalId.startsWith('local://')) {
    const id = principalId.slice('local://'.length)
    await userKube(c).get(mgmt('User'), id)
    obj.userName = id
    return
  }
  const m = /^([a-z0-9]+)_user:\/\/(.+)$/.exec(principalId)
  const provider = m ? providerById(m[1]!) : undefined
  if (!m || !provider || principalId.length > 1024) throw new ApiError(422, `userPrincipalId "${principalId.slice(0, 100)}" is not a user principal of a known auth provider`, 'InvalidBodyContent')
  const user = await findOrCreateUser(edgeKube(c), { principalId, displayName: m[2]!, provider: provider.id })
  obj.userName = user.metadata.name
}

/** Rancher does not let a binding change whom or what it grants: delete and create instead. */
function assertUnchanged(obj: KubeObject, existing: KubeObject): void {
  for (const k of IMMUTABLE) {
    if ((obj[k] ?? '') !== (existing[k] ?? '')) throw new ApiError(422, `${k} cannot be changed; create a new binding`, 'InvalidBodyContent')
  }
}

async function clusterNamespaces(c: V3Context): Promise<string[]> {
  return (await visibleClusters(c)).map((cl) => cl.metadata.name ?? '').filter(Boolean)
}

async function projectNamespaces(c: V3Context): Promise<string[]> {
  const kube = userKube(c)
  const lists = await Promise.all((await clusterNamespaces(c)).map((ns) => kube.list<Project>(mgmt('Project'), { namespace: ns }).then((l) => l.items, () => [])))
  return lists.flat().map((p) => p.metadata.name ?? '')
}

async function checkTemplate(c: V3Context, obj: KubeObject, context: 'cluster' | 'project') {
  const name = String(obj.roleTemplateName ?? '')
  if (!name) throw new ApiError(422, 'roleTemplateId is required', 'MissingRequired')
  const flat = await flattenRoleTemplate(edgeKube(c), name)
  if ((flat.template.context ?? 'cluster') !== context) throw new ApiError(422, `role template "${name}" is for ${flat.template.context} bindings`, 'InvalidBodyContent')
  if (flat.template.locked) throw new ApiError(422, `role template "${name}" is locked: no new bindings`, 'InvalidBodyContent')
  return flat
}

export const globalRoles = crudRoutes(RESOURCES.globalRole, {
  beforeWrite: async (c, obj) => {
    await assertHoldsClusterRules(userKube(c), (obj.rules as never) ?? [], `global role ${obj.metadata.name}`)
  },
})

export const globalRoleBindings = crudRoutes(RESOURCES.globalRoleBinding, {
  beforeWrite: async (c, obj, _body, existing) => {
    if (existing) return assertUnchanged(obj, existing)
    if (!obj.userName && !obj.userPrincipalName && !obj.groupPrincipalName) throw new ApiError(422, 'userId, userPrincipalId or groupPrincipalId is required', 'MissingRequired')
    const role = String(obj.globalRoleName ?? '')
    if (!role) throw new ApiError(422, 'globalRoleId is required', 'MissingRequired')
    await assertHoldsClusterRules(userKube(c), await globalRoleRules(edgeKube(c), role), `global role ${role}`)
    await userForPrincipal(c, obj)
  },
})

export const roleTemplates = crudRoutes(RESOURCES.roleTemplate)

export const clusterRoleTemplateBindings = crudRoutes(RESOURCES.clusterRoleTemplateBinding, {
  fallbackNamespaces: clusterNamespaces,
  beforeWrite: async (c, obj, _body, existing) => {
    if (existing) return assertUnchanged(obj, existing)
    assertSubject(obj)
    const cluster = obj.metadata.namespace ?? ''
    obj.clusterName = cluster
    const flat = await checkTemplate(c, obj, 'cluster')
    // Checked in the cluster where the grant applies, as the caller.
    const downstream = c.var.management.in(cluster, c.var.principal.identity)
    await assertHoldsClusterRules(downstream, flat.rules, `role template ${flat.template.metadata.name} in ${cluster}`)
    for (const ext of flat.external) await assertCanBind(downstream, ext, `role template ${ext} in ${cluster}`)
    await userForPrincipal(c, obj)
  },
})

export const projects = crudRoutes(RESOURCES.project, {
  list: visibleProjects,
  present: (_c, obj, fields) => ({ ...fields, id: `${obj.metadata.namespace}:${obj.metadata.name}` }),
  beforeWrite: async (_c, obj) => {
    const spec = (obj.spec ??= {}) as Record<string, unknown>
    spec.clusterName = obj.metadata.namespace
  },
})

export const projectRoleTemplateBindings = crudRoutes(RESOURCES.projectRoleTemplateBinding, {
  fallbackNamespaces: projectNamespaces,
  beforeWrite: async (c, obj, _body, existing) => {
    if (existing) return assertUnchanged(obj, existing)
    assertSubject(obj)
    const [cluster, project] = String(obj.projectName ?? '').split(':')
    if (!cluster || !project) throw new ApiError(422, 'projectId is required, as <cluster id>:<project id>', 'MissingRequired')
    // The project must exist and be visible to the caller.
    await userKube(c).get(mgmt('Project'), project, cluster)
    const flat = await checkTemplate(c, obj, 'project')
    // The namespaces the grant covers today, as the runner sees them downstream.
    const runner = c.var.management.in(cluster, RUNNER_IDENTITY)
    const namespaces = await runner.list(NAMESPACE)
    const inProject = namespaces.items.filter((ns) => ns.metadata.annotations?.['field.cattle.io/projectId'] === `${cluster}:${project}`).map((ns) => ns.metadata.name ?? '')
    await assertHoldsNamespaceRules(c.var.management.in(cluster, c.var.principal.identity), inProject, flat.rules, `role template ${flat.template.metadata.name} in project ${cluster}:${project}`)
    await userForPrincipal(c, obj)
  },
})

export const settings = crudRoutes(RESOURCES.setting)
