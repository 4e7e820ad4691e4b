import { Hono } from 'hono'
import { RUNNER_IDENTITY } from '../../protocol/api/identities.ts'
import { requireUser } from '../identity/middleware.ts'
import { revokeTokens, revokeUserTokens } from '../identity/revocation.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'

const TOKEN_NAME = /^token-[a-z0-9]{5,}$/
/** A User's name: a Kubernetes object name (DNS subdomain). */
const USER_ID = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/

/** Calls only the controller runner may make: what it sees happen in the management cluster, told to the edge. */
export const system = new Hono<AppEnv>()

system.use('*', requireUser, async (c, next) => {
  if (c.var.principal.identity.user !== RUNNER_IDENTITY.user) throw new ApiError(403, 'only the controller runner may call /v3/system')
  await next()
})

/** `DELETE /v3/system/tokens/<name>`: a Token CR is gone (deleted by kubectl, say): its value stops working. */
system.delete('/tokens/:name', async (c) => {
  const name = c.req.param('name')
  if (!TOKEN_NAME.test(name)) throw new ApiError(422, `"${name}" is not a token name`, 'InvalidFormat')
  await revokeTokens(c.env, [name])
  return c.json({ revoked: name })
})

/**
 * `DELETE /v3/system/users/<id>/tokens`: the User is gone or disabled (by any path): every token issued to
 * it until now stops working, those whose Token CR is already gone included.
 */
system.delete('/users/:id/tokens', async (c) => {
  const id = c.req.param('id')
  if (!USER_ID.test(id)) throw new ApiError(422, `"${id}" is not a user id`, 'InvalidFormat')
  await revokeUserTokens(c.env, id)
  return c.json({ revokedUser: id })
})
