import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { requireUser } from '../identity/middleware.ts'
import { ApiError } from '../errors.ts'
import { authConfigs } from '../identity/authconfigs.ts'
import { principals } from '../identity/principals.ts'
import { clusterRoleTemplateBindings, globalRoleBindings, globalRoles, projectRoleTemplateBindings, projects, roleTemplates, settings } from './bindings.ts'
import { clusters } from './clusters.ts'
import { crudRoutes } from './crud.ts'
import { linksFor } from './context.ts'
import { RESOURCES } from './resources.ts'
import { schemas } from './schemas.ts'
import { tokens } from './tokens.ts'
import { users } from './users.ts'

const COLLECTIONS = {
  clusters,
  tokens,
  users,
  globalroles: globalRoles,
  globalrolebindings: globalRoleBindings,
  roletemplates: roleTemplates,
  clusterroletemplatebindings: clusterRoleTemplateBindings,
  projects,
  projectroletemplatebindings: projectRoleTemplateBindings,
  settings,
  clusterregistrationtokens: crudRoutes(RESOURCES.clusterRegistrationToken),
  authconfigs: authConfigs,
  principals,
  schemas,
}

/** The authenticated `/v3` management API (Rancher's Norman subset). */
export const v3 = new Hono<AppEnv>()
v3.use('*', requireUser)
// A cluster-scoped token (an API key with clusterId, a kubeconfig token) reaches that cluster's API and
// nothing else: the management API would let it act as its user everywhere.
v3.use('*', async (c, next) => {
  const { clusters } = c.var.principal
  if (clusters !== '*') throw new ApiError(403, `this token is scoped to cluster ${clusters.join(', ')}: use it at /k8s/clusters/${clusters[0]}, not on /v3`)
  await next()
})
v3.get('/', (c) => {
  const base = linksFor(c, '').base
  return c.json({ type: 'apiRoot', id: 'v3', links: Object.fromEntries(Object.keys(COLLECTIONS).map((k) => [k, `${base}/${k}`])) })
})
for (const [path, app] of Object.entries(COLLECTIONS)) v3.route(`/${path}`, app)
