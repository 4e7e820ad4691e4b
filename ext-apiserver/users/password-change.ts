// `passwordchangerequests.ext.cattle.io`: a local user's new password, hashed exactly as the edge's local
// provider does (protocol/api/password.ts, the same peppers) into the Secret it reads at login. One's own
// password needs the current one — checked like a login, and throttled per user so a stolen session is no
// password oracle; a caller allowed `update` on users.management.cattle.io/<id> (an admin) sets another's
// without it. Afterwards, as the edge's own changes: the user's own change keeps their sessions; an
// admin's change deletes the user's Token CRs (the runner revokes each name at the edge).
import * as v from 'valibot'
import { EXT_API_VERSION, PASSWORD_CHANGE_REQUEST } from '../../protocol/api/ext.ts'
import { hashPassword, MAX_PASSWORD_BYTES, passwordProblem, verifyPassword, type Pepper } from '../../protocol/api/password.ts'
import { USER_ID_LABEL } from '../../protocol/api/tokens.ts'
import { PASSWORD_NAMESPACE } from '../../protocol/api/users.ts'
import type { Token } from '../../protocol/crds/index.ts'
import { mgmt, SECRET, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { ExtContext } from '../context.ts'
import { parseObject } from '../server/parse.ts'
import type { ExtResource } from '../server/resource.ts'
import { statusError } from '../server/status.ts'
import { rancherUser, USER, type UserObject } from './caller.ts'
import { FailureThrottle } from './throttle.ts'

const password = v.pipe(v.string(), v.check((p) => new TextEncoder().encode(p).length <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`))
const schema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('PasswordChangeRequest'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({ userID: v.optional(v.pipe(v.string(), v.maxLength(253))), currentPassword: v.optional(password), newPassword: password }),
})

interface Secret extends KubeObject {
  data?: Record<string, string>
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8')

export function passwordChangeRequests(ctx: ExtContext, throttle = new FailureThrottle()): ExtResource {
  const { client, logger } = ctx
  return {
    type: PASSWORD_CHANGE_REQUEST,
    verbs: ['create'],
    async create(req) {
      const { spec } = parseObject(schema, req.body)
      const peppers = ctx.peppers
      if (peppers.length === 0) throw statusError(503, 'password changes are not configured: the extension server has no DROVER_PASSWORD_PEPPERS')
      const caller = await rancherUser(client, req.user, req.signal)
      const target = spec.userID || caller.userId
      const own = target === caller.userId
      let user: UserObject
      if (own) {
        user = caller.user
        if (throttle.blocked(target)) throw statusError(429, 'too many wrong passwords; try again later')
        if (!(await currentMatches(client, target, spec.currentPassword ?? '', peppers))) {
          throttle.failed(target)
          logger.info({ user: target }, 'password change refused: wrong current password')
          throw statusError(422, 'spec.currentPassword: the current password is wrong')
        }
        throttle.succeeded(target)
      } else {
        const decision = await ctx.authorizer.authorize(req.user, { kind: 'resource', verb: 'update', group: 'management.cattle.io', version: 'v3', resource: 'users', name: target }, req.signal)
        if (!decision.allowed) throw statusError(403, `passwordchangerequests.ext.cattle.io is forbidden: user ${caller.userId} may not change the password of ${target}`)
        const found = await client.find<UserObject>(USER, target, undefined, { signal: req.signal })
        if (!found) throw statusError(404, `users.management.cattle.io "${target}" not found`)
        user = found
      }
      if (!user.username) throw statusError(422, `user ${target} is not a local user: it has no password here`)
      const problem = passwordProblem(spec.newPassword, user.username)
      if (problem) throw statusError(422, `spec.newPassword: ${problem}`)
      if (!req.dryRun) {
        await storePassword(client, target, await hashPassword(spec.newPassword, peppers[0]!), req.signal)
        if (user.mustChangePassword) await client.patch(USER, target, { mustChangePassword: false }, { signal: req.signal })
        if (!own) {
          const tokens = (await client.list<Token>(mgmt('Token'), { labelSelector: `${USER_ID_LABEL}=${target}`, signal: req.signal })).items
          await Promise.all(tokens.map((t) => client.delete(mgmt('Token'), t.metadata.name ?? '', { signal: req.signal })))
        }
        logger.info({ user: target, by: caller.userId }, 'password changed')
      }
      return {
        metadata: {},
        spec: { userID: target, currentPassword: '', newPassword: '' },
        status: { summary: 'Completed', conditions: [{ type: 'PasswordUpdated', status: 'True' }] },
      }
    },
  }
}

/** The stored hash verifies `password`; the same KDF work when there is none, so timing tells nothing. */
async function currentMatches(client: KubeClient, userId: string, password: string, peppers: readonly Pepper[]): Promise<boolean> {
  const stored = await client.find<Secret>(SECRET, userId, PASSWORD_NAMESPACE)
  const hash = stored?.data?.password ? unb64(stored.data.password) : ''
  const result = await verifyPassword(password, hash || `pbkdf2-sha256$100000$${peppers[0]!.id}$AAAAAAAAAAAAAAAAAAAAAA$AAAA`, [...peppers])
  return hash !== '' && result.ok
}

/** As the edge's storePassword: the Secret `<userId>` in the password namespace, `data.password`. */
async function storePassword(client: KubeClient, userId: string, hash: string, signal: AbortSignal): Promise<void> {
  const body: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: userId, namespace: PASSWORD_NAMESPACE }, data: { password: b64(hash) } }
  const existing = await client.find<Secret>(SECRET, userId, PASSWORD_NAMESPACE, { signal })
  if (existing) await client.update(SECRET, { ...existing, data: { ...existing.data, password: b64(hash) } }, { signal })
  else await client.create(SECRET, { ...body, type: 'Opaque' } as Secret, { signal })
}
