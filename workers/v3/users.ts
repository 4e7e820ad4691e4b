import { Hono } from 'hono'
import { userIdOf } from '../identity/authenticator.ts'
import * as v from 'valibot'
import { mgmt } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { mgmtObject, type KubeObject } from '../mgmt/management.ts'
import { parseBody } from '../norman/body.ts'
import { randomId } from '../identity/compare.ts'
import { checkPassword, claimUsername, deletePassword, releaseUsername, storePassword, usernameHash, USERNAME_LABEL, type UserObject } from '../identity/providers/local/users.ts'
import { assertNotThrottled, clientAddress, loginKeys, recordLoginFailure, recordLoginSuccess } from '../identity/login-throttle.ts'
import { passwordProblem } from '../../protocol/api/password.ts'
import { removeTokens, tokensWhere, USER_ID_LABEL } from '../identity/tokens.ts'
import { edgeKube, userKube, type V3Context } from './context.ts'
import { crudRoutes, getAsCaller, present } from './crud.ts'
import type { ResourceDef } from './resources.ts'
import type { GlobalRole } from '../../protocol/crds/index.ts'

const def: ResourceDef = {
  type: 'user', collection: 'users', kind: 'User', namespaced: false,
  writable: ['description', 'displayName', 'mustChangePassword', 'enabled', 'labels', 'annotations'],
  actions: ['setpassword'],
  collectionActions: ['changepassword'],
}

const me = (c: V3Context) => userIdOf(c.var.principal)
const USER = mgmt('User')

const createBody = v.looseObject({
  username: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._@-]{1,128}$/, 'username: 1–128 of A-Z a-z 0-9 . _ @ -')),
  password: v.string(),
  name: v.optional(v.string()),
  displayName: v.optional(v.string()),
  description: v.optional(v.string()),
  mustChangePassword: v.optional(v.boolean()),
  enabled: v.optional(v.boolean()),
})

async function revokeUserTokens(c: V3Context, userId: string): Promise<void> {
  const edge = edgeKube(c)
  const names = (await tokensWhere(edge, `${USER_ID_LABEL}=${userId}`)).map((t) => t.metadata.name ?? '')
  await removeTokens(c.env, edge, names.filter(Boolean))
}

/** Users the caller may read: everyone for admins (RBAC), only themselves otherwise (and with `?me=true`). */
async function getUser(c: V3Context, id: string): Promise<KubeObject> {
  if (id === me(c)) return edgeKube(c).get(USER, id)
  return getAsCaller(c, def, id)
}

const routes = crudRoutes(def, {
  list: async (c) => {
    if (c.req.query('me') === 'true') return [await edgeKube(c).get<KubeObject>(USER, me(c))]
    return (await userKube(c).list<KubeObject>(USER)).items
  },
  get: getUser,
  beforeWrite: async (c, obj, body, existing) => {
    if (existing) {
      if (existing.metadata.name === me(c) && obj.enabled === false) throw new ApiError(422, 'you cannot disable yourself', 'InvalidBodyContent')
      return
    }
    throw new ApiError(500, 'users are created by their own handler')
  },
  afterDelete: async (c, obj) => {
    await revokeUserTokens(c, obj.metadata.name ?? '')
    await deletePassword(edgeKube(c), obj.metadata.name ?? '')
    if (typeof obj.username === 'string') await releaseUsername(edgeKube(c), obj.username, obj.metadata.name ?? '')
  },
  actions: {
    setpassword: async (c, id) => {
      const body = await parseBody(c.req.raw, v.object({ newPassword: v.string() }))
      const user = (await getUser(c, id)) as UserObject
      const problem = passwordProblem(body.newPassword, user.username)
      if (problem) throw new ApiError(422, problem, 'InvalidBodyContent')
      // Authorised by the apiserver: only a caller who may update this user may set its password.
      const updated = await userKube(c).patch<UserObject>(USER, id, { mustChangePassword: false, metadata: { annotations: { 'drover.io/password-set-at': new Date().toISOString() } } })
      await storePassword(c.env, edgeKube(c), id, body.newPassword)
      await revokeUserTokens(c, id)
      return c.json(present(c, def, updated))
    },
  },
  collectionActions: {
    changepassword: async (c) => {
      const body = await parseBody(c.req.raw, v.object({ currentPassword: v.string(), newPassword: v.string() }))
      const edge = edgeKube(c)
      const user = await edge.get<UserObject>(USER, me(c))
      // A password check like a login's, so throttled like one: a stolen session is no password oracle.
      const keys = await loginKeys(user.username ?? me(c), clientAddress(c.req.raw))
      await assertNotThrottled(c.env, keys)
      if (!(await checkPassword(c.env, edge, user, body.currentPassword))) {
        await recordLoginFailure(c.env, keys)
        throw new ApiError(422, 'the current password is wrong', 'InvalidBodyContent')
      }
      await recordLoginSuccess(c.env, keys)
      const problem = passwordProblem(body.newPassword, user.username)
      if (problem) throw new ApiError(422, problem, 'InvalidBodyContent')
      await storePassword(c.env, edge, me(c), body.newPassword)
      if (user.mustChangePassword) await edge.patch(USER, me(c), { mustChangePassword: false })
      return c.body(null, 200)
    },
  },
})

export const users = new Hono<AppEnv>()

// Disabling a user revokes every token it holds, at once.
users.put('/:id', async (c, next) => {
  await next()
  const id = c.req.param('id')
  if (c.res.ok) {
    const user = (await c.res.clone().json()) as { enabled?: boolean }
    if (user.enabled === false) await revokeUserTokens(c, id)
  }
})

/** `POST /v3/users`: the User CR as the caller (RBAC decides), then its password hash as the edge. */
users.post('/', async (c, next) => {
  if (c.req.query('action') !== undefined) return next()
  const body = await parseBody(c.req.raw, createBody)
  const problem = passwordProblem(body.password, body.username)
  if (problem) throw new ApiError(422, problem, 'InvalidBodyContent')
  const edge = edgeKube(c)
  const id = `u-${randomId(10)}`
  // Enforced, not checked-then-created: the claim is created first, and only one claim per username exists.
  await claimUsername(edge, body.username, id)
  const user = mgmtObject('User', {
    metadata: { name: id, labels: { [USERNAME_LABEL]: await usernameHash(body.username) }, annotations: { 'field.cattle.io/creatorId': me(c) } },
    username: body.username,
    displayName: body.displayName ?? body.name ?? body.username,
    description: body.description ?? '',
    mustChangePassword: body.mustChangePassword ?? false,
    enabled: body.enabled ?? true,
    principalIds: [`local://${id}`],
  })
  let created: UserObject
  try {
    created = await userKube(c).create<UserObject>(USER, user)
  } catch (err) {
    await releaseUsername(edge, body.username, id)
    throw err
  }
  await storePassword(c.env, edge, id, body.password)
  // New users get the global roles marked as defaults, as in Rancher.
  const roles = (await edge.list<GlobalRole>(mgmt('GlobalRole'))).items.filter((r) => r.newUserDefault)
  for (const role of roles) {
    await userKube(c).create(mgmt('GlobalRoleBinding'), mgmtObject('GlobalRoleBinding', {
      metadata: { name: `grb-${randomId(5)}`, annotations: { 'field.cattle.io/creatorId': me(c) } },
      globalRoleName: role.metadata.name,
      userName: id,
    }))
  }
  return c.json(present(c, def, created), 201)
})

users.route('/', routes)
