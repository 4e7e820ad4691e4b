// `/v3-public`: what a client may call before it has a token, built from the providers.
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { cliLogin } from './cli-login.ts'
import { PROVIDERS } from './providers/index.ts'

export const v3Public = new Hono<AppEnv>().get('/authProviders', async (c) => {
  const base = `${new URL(c.req.url).origin}/v3-public`
  const data = (await Promise.all(PROVIDERS.map((p) => p.publicEntry(c)))).filter((e) => e !== null)
  return c.json({
    type: 'collection',
    resourceType: 'authProvider',
    links: { self: `${base}/authProviders` },
    actions: {},
    pagination: { limit: 1000, total: data.length },
    data,
  })
})

for (const p of PROVIDERS) {
  const path = `/${p.publicCollection}/${p.id}`
  v3Public.get(path, async (c) => {
    const entry = await p.publicEntry(c)
    if (!entry) throw new ApiError(404, `auth provider ${p.id} is not enabled`)
    return c.json(entry)
  })
  v3Public.route(path, p.login)
}

v3Public.route('/cliLogin', cliLogin)
