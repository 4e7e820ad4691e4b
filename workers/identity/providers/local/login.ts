import { Hono } from 'hono'
import * as v from 'valibot'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { minutesSetting } from '../../../mgmt/settings.ts'
import { parseBody } from '../../../norman/body.ts'
import { loginResponse } from '../../login-response.ts'
import { checkPassword, findUserByUsername } from './users.ts'
import { assertNotThrottled, clientAddress, loginKeys, recordLoginFailure, recordLoginSuccess } from '../../login-throttle.ts'
import { MAX_PASSWORD_BYTES } from '../../../../protocol/api/password.ts'
import { LOCAL_PROVIDER, localPrincipal } from './users.ts'
import { issueToken } from '../../tokens.ts'
import type { V3Context } from '../../../v3/context.ts'

const loginBody = v.object({
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  password: v.pipe(v.string(), v.check((p) => new TextEncoder().encode(p).length <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`)),
  responseType: v.optional(v.string()),
  description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  ttl: v.optional(v.number()),
})

/** Username and password against the user's stored hash; a session token as Rancher answers it. */
async function login(c: V3Context): Promise<Response> {
  const body = await parseBody(c.req.raw, loginBody)
  const keys = await loginKeys(body.username, clientAddress(c.req.raw))
  await assertNotThrottled(c.env, keys)
  const edge = c.var.management.as(EDGE_IDENTITY)
  const user = await findUserByUsername(edge, body.username)
  const ok = await checkPassword(c.env, edge, user, body.password)
  // A disabled user gets the same answer as a wrong password: the response tells nothing about the account.
  if (!ok || !user || user.enabled === false) {
    await recordLoginFailure(c.env, keys)
    throw new ApiError(401, 'authentication failed: wrong username or password', 'Unauthorized')
  }
  await recordLoginSuccess(c.env, keys)
  const userId = user.metadata.name ?? ''
  const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, {
    kind: 'session',
    subject: { userId, username: user.username ?? body.username, principalIds: [localPrincipal(userId)], groups: [], authProvider: LOCAL_PROVIDER },
    ttlMs,
    description: body.description ?? '',
  })
  return loginResponse(c, issued, body.responseType, ttlMs)
}

/** Local login, at `/v3-public/localProviders/local`: Rancher's `?action=login`. */
export const localLogin = new Hono<AppEnv>().post('/', async (c) => {
  if (c.req.query('action') !== 'login') throw new ApiError(422, 'expected ?action=login', 'InvalidAction')
  return login(c)
})
