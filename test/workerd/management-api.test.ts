// `/v3` and login on the edge's own code with a real management apiserver behind it, and no tunnel,
// agent or runner: createApp's `management` seam sends the tunnel envelopes to
// test/support/management-relay.ts, which serves them as cluster `local`'s agent would. RBAC answers
// (403) and schema refusals (422) come from the real kube-apiserver.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../workers/app.ts'
import { tunnelManagement } from '../../workers/mgmt/management.ts'

const app = createApp({ management: () => tunnelManagement(() => env.MANAGEMENT) })

interface Answer<T> {
  status: number
  body: T
}

async function call<T = Record<string, unknown>>(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await app.request(path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) }, env)
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T }
}

const login = (username: string, password: string) =>
  call<{ token?: string; code?: string; message?: string }>('POST', '/v3-public/localProviders/local?action=login', { body: { username, password, responseType: 'json' } })

async function token(username: string, password: string): Promise<string> {
  const res = await login(username, password)
  if (res.status !== 201 || !res.body.token) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.token
}

describe('/v3 and login against a real management apiserver (no tunnel, agent or runner)', () => {
  let admin: string

  beforeAll(async () => {
    // The first request starts the management cluster (a few seconds); nobody's login fails until it answers.
    const probe = await login('nobody-probe', 'wrong-password')
    expect(probe.status, JSON.stringify(probe.body)).toBe(401)
    admin = await token('admin', env.MANAGEMENT_ADMIN_PASSWORD)
  }, 180_000)

  it('logs the bootstrap admin in with the local provider and refuses a wrong password', async () => {
    const ok = await login('admin', env.MANAGEMENT_ADMIN_PASSWORD)
    expect(ok.status).toBe(201)
    expect(ok.body.token).toMatch(/^token-[a-z0-9]{5}:/)
    const wrong = await login('admin', `${env.MANAGEMENT_ADMIN_PASSWORD}-not`)
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ type: 'error', status: 401, code: 'Unauthorized', message: 'authentication failed: wrong username or password' })
  })

  it('lists users for the admin, and the apiserver refuses a standard user', async () => {
    const created = await call<{ id: string }>('POST', '/v3/users', { token: admin, body: { username: 'standard-1', password: 'standard-1-password-1234' } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const standard = await token('standard-1', 'standard-1-password-1234')

    const asAdmin = await call<{ type: string; data: { id: string; username?: string }[] }>('GET', '/v3/users', { token: admin })
    expect(asAdmin.status).toBe(200)
    expect(asAdmin.body.type).toBe('collection')
    expect(asAdmin.body.data.map((u) => u.username)).toEqual(expect.arrayContaining(['admin', 'standard-1']))

    const asStandard = await call<{ code: string; message: string }>('GET', '/v3/users', { token: standard })
    expect(asStandard.status).toBe(403)
    expect(asStandard.body.code).toBe('PermissionDenied')
    // The impersonated user as the apiserver's RBAC names it.
    expect(asStandard.body.message).toContain(`User "${created.body.id}" cannot list resource "users"`)

    const self = await call<{ data: { id: string }[] }>('GET', '/v3/users?me=true', { token: standard })
    expect(self.status).toBe(200)
    expect(self.body.data.map((u) => u.id)).toEqual([created.body.id])
  })

  it('builds /v3-public/authProviders, /v3/authconfigs and principal search from the identity providers', async () => {
    const providers = await call<{ data: { id: string; actions: { login: string } }[] }>('GET', '/v3-public/authProviders')
    expect(providers.status).toBe(200)
    // genericoidc is not configured here: only local is listed.
    expect(providers.body.data.map((p) => p.id)).toEqual(['local'])
    expect(providers.body.data[0]!.actions.login).toMatch(/\/v3-public\/localProviders\/local\?action=login$/)

    const configs = await call<{ data: { id: string; type: string; enabled: boolean }[] }>('GET', '/v3/authconfigs', { token: admin })
    expect(configs.status).toBe(200)
    expect(configs.body.data).toEqual([expect.objectContaining({ id: 'local', type: 'localConfig', enabled: true })])
    const local = await call<{ code: string }>('PUT', '/v3/authconfigs/local', { token: admin, body: { enabled: false } })
    expect(local.status).toBe(422)

    const created = await call<{ id: string }>('POST', '/v3/users', { token: admin, body: { username: 'searchable-2', password: 'searchable-2-password-1234', displayName: 'Searchable Two' } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const found = await call<{ data: { id: string; principalType: string; loginName: string; provider: string }[] }>('POST', '/v3/principals?action=search', { token: admin, body: { name: 'searchable' } })
    expect(found.status).toBe(200)
    expect(found.body.data).toEqual([expect.objectContaining({ id: `local://${created.body.id}`, principalType: 'user', loginName: 'searchable-2', provider: 'local' })])

    // A standard user may not list users: the local provider has nothing to show them.
    const standard = await token('searchable-2', 'searchable-2-password-1234')
    const hidden = await call<{ data: unknown[] }>('POST', '/v3/principals?action=search', { token: standard, body: { name: 'admin' } })
    expect(hidden.status).toBe(200)
    expect(hidden.body.data).toEqual([])
    const mine = await call<{ data: { id: string; me: boolean }[] }>('GET', '/v3/principals', { token: standard })
    expect(mine.body.data).toEqual([expect.objectContaining({ id: `local://${created.body.id}`, me: true })])
  })

  it('passes the apiserver\'s schema refusal on as 422 InvalidBodyContent', async () => {
    const res = await call<{ status: number; code: string; message: string }>('POST', '/v3/globalroles', { token: admin, body: { displayName: 'broken', rules: 'not-a-list' } })
    expect(res.status).toBe(422)
    expect(res.body).toMatchObject({ status: 422, code: 'InvalidBodyContent' })
    expect(res.body.message).toMatch(/rules/)
  })
})
