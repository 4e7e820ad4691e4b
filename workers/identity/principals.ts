// `/v3/principals`: the caller's own principals, and `?action=search` across every provider (Rancher's
// shapes), so clients can name users and groups when they bind roles.
import { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { parseBody } from '../norman/body.ts'
import { resource, type Norman } from '../norman/format.ts'
import { listResponse } from '../norman/query.ts'
import { linksFor, type V3Context } from '../v3/context.ts'
import type { PrincipalEntry } from './provider.ts'
import { PROVIDERS } from './providers/index.ts'
import { subjectOf } from '../v3/subject.ts'

const searchBody = v.object({
  name: v.pipe(v.string(), v.maxLength(256)),
  principalType: v.optional(v.picklist(['user', 'group'])),
})

function present(c: V3Context, p: PrincipalEntry, me = false): Norman {
  return resource('principal', p.id, { ...p, name: p.displayName ?? p.loginName ?? p.id, me }, linksFor(c, 'principals'))
}

export const principals = new Hono<AppEnv>()
  .get('/', (c) => {
    const subject = subjectOf(c.var.principal)
    const [user, ...groups] = subject.principalIds
    const mine: PrincipalEntry[] = [
      ...(user ? [{ id: user, principalType: 'user' as const, provider: subject.authProvider, loginName: subject.username }] : []),
      ...groups.map((id) => ({ id, principalType: 'group' as const, provider: subject.authProvider })),
    ]
    return c.json(listResponse('principal', mine.map((p) => present(c, p, true)), new URL(c.req.url), linksFor(c, 'principals'), ['search']))
  })
  .post('/', async (c) => {
    if (c.req.query('action') !== 'search') throw new ApiError(422, 'expected ?action=search', 'InvalidAction')
    const body = await parseBody(c.req.raw, searchBody)
    const found = (await Promise.all(PROVIDERS.map((p) => p.searchPrincipals(c, body.name, body.principalType)))).flat()
    const url = new URL(c.req.url)
    url.search = ''
    return c.json(listResponse('principal', found.map((p) => present(c, p)), url, linksFor(c, 'principals'), ['search']))
  })
