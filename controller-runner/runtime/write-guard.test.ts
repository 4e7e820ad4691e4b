import { HttpMethod, RequestContext } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { NotLeaderError } from './types.ts'
import { LeaderWriteGuard, UnconditionalUpdateError } from './write-guard.ts'

function guard(fresh: boolean) {
  const term = new AbortController()
  if (!fresh) term.abort()
  return { g: new LeaderWriteGuard({ fresh: () => fresh, signal: () => term.signal }), term }
}

function request(method: HttpMethod, body?: unknown): RequestContext {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces/default/configmaps/a', method)
  if (body !== undefined) ctx.setBody(JSON.stringify(body))
  return ctx
}

describe('LeaderWriteGuard', () => {
  it('lets a fresh leader write, with the term signal attached', async () => {
    const { g, term } = guard(true)
    const ctx = await g.middleware().pre(request(HttpMethod.PUT, { metadata: { name: 'a', resourceVersion: '7' } }))
    expect(ctx.getSignal()?.aborted).toBe(false)
    term.abort()
    expect(ctx.getSignal()?.aborted).toBe(true)
    await expect(g.middleware().pre(request(HttpMethod.POST, { metadata: { name: 'b' } }))).resolves.toBeDefined()
  })

  it('refuses every mutating call when not a fresh leader, but lets reads through', async () => {
    const { g } = guard(false)
    for (const m of [HttpMethod.POST, HttpMethod.PATCH, HttpMethod.DELETE]) {
      await expect(g.middleware().pre(request(m, { metadata: { resourceVersion: '1' } }))).rejects.toBeInstanceOf(NotLeaderError)
    }
    await expect(g.middleware().pre(request(HttpMethod.PUT, { metadata: { resourceVersion: '1' } }))).rejects.toBeInstanceOf(NotLeaderError)
    await expect(g.guard(async () => 'written')).rejects.toBeInstanceOf(NotLeaderError)
    await expect(g.middleware().pre(request(HttpMethod.GET))).resolves.toBeDefined()
  })

  it('refuses an update that does not carry the resourceVersion it was based on', async () => {
    const { g } = guard(true)
    await expect(g.middleware().pre(request(HttpMethod.PUT, { metadata: { name: 'a' } }))).rejects.toBeInstanceOf(UnconditionalUpdateError)
    await expect(g.guard(async (signal) => signal.aborted)).resolves.toBe(false)
  })
})
