import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { kubectlVia } from './support/proxy-fixture.ts'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PASSWORD = 'admin-password-for-tests'
let stack: MgmtStack
let admin: string

beforeAll(async () => {
  stack = await mgmtStack('id-tokens', { adminPassword: PASSWORD })
  admin = await stack.login('admin', PASSWORD)
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
})

/** Polls until the token is refused; returns how long that took. */
async function refusedWithin(token: string, boundMs: number): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < boundMs) {
    const res = await stack.api(token).get('/v3/tokens')
    if (res.status === 401) return Date.now() - start
    await sleep(100)
  }
  throw new Error(`token still accepted after ${boundMs} ms`)
}

describe('tokens against a real management cluster', () => {
  it('accepts a token as Bearer, as Basic and as the R_SESS cookie', async () => {
    const [name, secret] = [admin.slice(0, admin.indexOf(':')), admin.slice(admin.indexOf(':') + 1)]
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${admin}` },
      { authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}` },
      { cookie: `R_SESS=${encodeURIComponent(admin)}` },
    ]) {
      const res = await stack.edge.fetch('/v3/tokens', { headers })
      expect(res.status).toBe(200)
    }
  })

  it('sets R_SESS HttpOnly and Secure when logging in without responseType json', async () => {
    const res = await stack.edge.fetch('/v3-public/localProviders/local?action=login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })
    expect(res.status).toBe(200)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^R_SESS=token-[a-z0-9]{5}%3A/)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/Secure/)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toMatch(/Domain=/i)
  })

  it('creates, lists and deletes API keys; the value is shown once and only a salted hash is stored', async () => {
    const created = await stack.api(admin).post<{ id: string; token: string; type: string }>('/v3/tokens', { description: 'ci key', ttl: 3_600_000 })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(new RegExp(`^${created.body.id}:`))
    const listed = await stack.api(admin).get<{ type: string; data: Record<string, unknown>[] }>('/v3/tokens')
    expect(listed.body.type).toBe('collection')
    const entry = listed.body.data.find((t) => t.id === created.body.id)!
    expect(entry).toMatchObject({ description: 'ci key', isDerived: true, type: 'token' })
    expect(entry.token).toBeUndefined()
    const cr = await stack.cluster.kubectl(['get', 'tokens.management.cattle.io', created.body.id, '-o', 'json'])
    const stored = JSON.parse(cr.stdout) as { token: string }
    expect(stored.token).toMatch(/^sha256\$/)
    expect(cr.stdout).not.toContain(created.body.token.split(':')[1]!)
    expect((await stack.api(created.body.token).get('/v3/tokens')).status).toBe(200)
    expect((await stack.api(admin).del(`/v3/tokens/${created.body.id}`)).status).toBe(200)
    await refusedWithin(created.body.token, 10_000)
  })

  it('holds a cluster-scoped token to its cluster', async () => {
    const scoped = await stack.api(admin).post<{ token: string }>('/v3/tokens', { clusterId: 'local' })
    expect(scoped.status).toBe(201)
    const other = await stack.edge.fetch('/k8s/clusters/c-other/version', { headers: { authorization: `Bearer ${scoped.body.token}` } })
    expect(other.status).toBe(403)
    const own = await stack.edge.fetch('/k8s/clusters/local/version', { headers: { authorization: `Bearer ${scoped.body.token}` } })
    expect(own.status).toBe(200)
  })

  it('logout revokes the session token within the bound', async () => {
    const session = await stack.login('admin', PASSWORD)
    expect((await stack.api(session).get('/v3/tokens')).status).toBe(200)
    expect((await stack.api(session).post('/v3/tokens?action=logout')).status).toBe(200)
    const ms = await refusedWithin(session, 10_000)
    console.log(`revocation after logout took ${ms} ms`)
  })

  it('generates a kubeconfig that works with kubectl, and rotates rather than piling up tokens', async () => {
    const gen = async () => {
      const res = await stack.api(admin).post<{ config: string }>('/v3/clusters/local?action=generateKubeconfig')
      expect(res.status).toBe(200)
      return res.body.config
    }
    const first = await gen()
    const second = await gen()
    const dir = mkdtempSync(join(tmpdir(), 'drover-kc-'))
    const file = join(dir, 'config')
    writeFileSync(file, second)
    const doc = parse(second) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] }
    expect(doc.clusters[0]!.cluster.server).toBe(`${stack.edge.url.origin}/k8s/clusters/local`)
    const r = await kubectlVia(file, ['--certificate-authority', stack.edge.caFile, 'get', 'namespaces', '-o', 'name'], {})
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('namespace/cattle-system')
    // Only the newest kubeconfig token of this user and cluster is live.
    const oldToken = (parse(first) as typeof doc).users[0]!.user.token
    await refusedWithin(oldToken, 10_000)
    const kc = (await stack.api(admin).get<{ data: { labels: Record<string, string> }[] }>('/v3/tokens')).body.data.filter((t) => t.labels['drover.io/token-kind'] === 'kubeconfig')
    expect(kc).toHaveLength(1)
  })
})
