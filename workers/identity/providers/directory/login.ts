// `POST /v3-public/<collection>/<id>?action=login` for a directory: throttled like local logins, the bind
// done by the extension server, then access mode, the User and a session as every external provider.
import { Hono } from 'hono'
import * as v from 'valibot'
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import type { AppEnv } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { minutesSetting } from '../../../mgmt/settings.ts'
import { parseBody } from '../../../norman/body.ts'
import type { V3Context } from '../../../v3/context.ts'
import { groupsFit, MAX_GROUP_CHARS, subjectForLogin } from '../../external-login.ts'
import { assertNotThrottled, clientAddress, loginKeys, recordLoginFailure, recordLoginSuccess } from '../../login-throttle.ts'
import { loginResponse } from '../../login-response.ts'
import { issueToken } from '../../tokens.ts'
import type { DirectoryKind } from './kinds.ts'
import { bindReview, type BindStatus } from './reviews.ts'
import { enabledSettings } from './settings.ts'

export const MAX_PASSWORD_BYTES = 1024

export const credentialsBody = {
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  password: v.pipe(v.string(), v.check((p) => new TextEncoder().encode(p).length <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`)),
}

const loginBody = v.object({
  ...credentialsBody,
  responseType: v.optional(v.string()),
  description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
})

/** A refused bind as the client sees it: a user-side refusal reads the same whatever its cause. */
export function refusalError(kind: DirectoryKind, status: BindStatus): ApiError {
  switch (status.refusal) {
    case 'Unauthorized':
      return new ApiError(401, 'authentication failed: wrong username or password', 'Unauthorized')
    case 'Unavailable':
      return new ApiError(503, `auth provider ${kind.id}: ${status.message ?? 'the directory server cannot be reached'}`, 'ServiceUnavailable')
    default:
      return new ApiError(500, `auth provider ${kind.id} is misconfigured: ${status.message ?? 'the directory refused the bind'}`, 'ServerError')
  }
}

/** The bound user's principals, checked to be this provider's own before anything trusts them. */
export function principalsOf(kind: DirectoryKind, status: BindStatus): { user: NonNullable<BindStatus['user']>; groups: string[] } {
  const user = status.user
  const own = (id: string, type: 'user' | 'group') => id.startsWith(`${kind.id}_${type}://`)
  if (!user || !own(user.id, 'user') || (status.groups ?? []).some((g) => !own(g.id, 'group'))) {
    throw new ApiError(502, `auth provider ${kind.id}: the extension API server answered principals of another provider`, 'BadGateway')
  }
  return { user, groups: [...new Set((status.groups ?? []).map((g) => g.id))].sort() }
}

async function login(c: V3Context, kind: DirectoryKind): Promise<Response> {
  const body = await parseBody(c.req.raw, loginBody)
  // Keyed by provider too: a directory user and a local user of the same name do not share a budget.
  const keys = await loginKeys(`${kind.id}/${body.username}`, clientAddress(c.req.raw))
  await assertNotThrottled(c.env, keys)
  const edge = c.var.management.as(EDGE_IDENTITY)
  const settings = await enabledSettings(edge, kind)
  const status = await bindReview(edge, { provider: kind.id, username: body.username, password: body.password })
  if (!status.authenticated) {
    if (status.refusal === 'Unauthorized') await recordLoginFailure(c.env, keys)
    throw refusalError(kind, status)
  }
  const { user, groups } = principalsOf(kind, status)
  if (!groupsFit(groups)) {
    throw new ApiError(422, `${kind.id} login failed: the user is in more groups than a session can carry (${MAX_GROUP_CHARS} characters of group ids)`, 'InvalidBodyContent')
  }
  await recordLoginSuccess(c.env, keys)
  const subject = await subjectForLogin(edge, settings, { provider: kind.id, userPrincipal: user.id, groups, displayName: user.displayName, username: user.loginName })
  const ttlMs = (await minutesSetting(edge, 'auth-user-session-ttl-minutes')) * 60_000
  const issued = await issueToken(c.env, edge, { kind: 'session', subject, ttlMs, description: body.description ?? `${kind.id} login` })
  return loginResponse(c, issued, body.responseType, ttlMs)
}

export function directoryLogin(kind: DirectoryKind): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/', async (c) => {
    if (c.req.query('action') !== 'login') throw new ApiError(422, 'expected ?action=login', 'InvalidAction')
    return login(c, kind)
  })
}
