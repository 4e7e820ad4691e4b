import { createMiddleware } from 'hono/factory'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../env.ts'
import { credentialFrom } from './authenticator.ts'

/** Requires a valid user credential and sets `c.var.principal`. Tokens in query strings are refused: URLs get logged. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url)
  for (const key of ['token', 'access_token', 'R_SESS']) {
    if (url.searchParams.has(key)) throw new ApiError(400, 'credentials are not accepted in the query string; send them as a header')
  }
  const token = credentialFrom(c.req.raw)
  const principal = token ? await c.var.authenticator.user(token) : null
  if (!principal) throw new ApiError(401, 'must authenticate')
  c.set('principal', principal)
  await next()
})
