// The audit middleware on a small Hono app in workerd: one line per request with the fields operators
// need, filters and levels as Rancher's AuditPolicy, and nothing secret in a line at any level.
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AppEnv, Bindings } from '../env.ts'
import { AUDIT_KIND, auditLog } from './middleware.ts'

const SECRET = 's3cr3t-value-do-not-log'

const app = new Hono<AppEnv>()
app.use(auditLog)
app.use(async (c, next) => {
  c.set('principal', { identity: { user: 'u-alice', groups: ['system:authenticated', 'local://g-ops'], extra: {} }, clusters: '*', token: { name: 'token-abcde', kind: 'session', userId: 'u-alice', username: 'alice', authProvider: 'local', principalIds: ['local://u-alice'] } })
  await next()
})
app.all('/k8s/clusters/:id/*', (c) => c.json({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { password: btoa(SECRET) } }, c.req.method === 'POST' ? 201 : 200))
app.all('/v3/*', (c) => c.json({ type: 'token', token: `token-abcde:${SECRET}` }, 201))
app.all('/v1/*', (c) => c.json({}))
app.get('/ping', (c) => c.text('pong'))

let lines: Record<string, unknown>[]
beforeEach(() => {
  lines = []
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => {
    if (typeof s === 'string' && s.includes(AUDIT_KIND)) lines.push(JSON.parse(s) as Record<string, unknown>)
  })
})
afterEach(() => vi.restoreAllMocks())

const env = (policy: unknown) => ({ DROVER_AUDIT_POLICY: JSON.stringify(policy) }) as unknown as Bindings
const secretCreate = (policy: unknown) =>
  app.request('/k8s/clusters/c-1/api/v1/namespaces/prod/secrets', {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, cookie: `R_SESS=${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: SECRET } }),
  }, env(policy))

describe('the audit log', () => {
  it('writes one line per proxied request with identity, cluster, verb, resource, status, latency and a request id', async () => {
    expect((await secretCreate({ enabled: true, level: 0 })).status).toBe(201)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      kind: AUDIT_KIND,
      user: { id: 'u-alice', username: 'alice', principal: 'local://u-alice', groups: ['system:authenticated', 'local://g-ops'] },
      cluster: 'c-1', verb: 'create', resource: 'secrets', namespace: 'prod', method: 'POST',
      requestURI: '/k8s/clusters/c-1/api/v1/namespaces/prod/secrets', status: 201,
    })
    expect(lines[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(typeof lines[0]!.latencyMs).toBe('number')
    expect(lines[0]).not.toHaveProperty('requestHeaders')
  })

  it('covers /v3 and /v1 writes, not /v1 reads or other paths', async () => {
    const e = env({ enabled: true })
    await app.request('/v3/tokens', { method: 'POST' }, e)
    await app.request('/v1/secrets', { method: 'POST' }, e)
    await app.request('/v1/secrets', {}, e)
    await app.request('/ping', {}, e)
    expect(lines.map((l) => `${l.method} ${l.requestURI as string}`)).toEqual(['POST /v3/tokens', 'POST /v1/secrets'])
    expect(lines[0]).toMatchObject({ cluster: 'local', resource: 'tokens', verb: 'create' })
  })

  it('is off without a policy and when disabled', async () => {
    await app.request('/v3/tokens', { method: 'POST' }, {} as Bindings)
    await app.request('/v3/tokens', { method: 'POST' }, env({ enabled: false }))
    expect(lines).toEqual([])
  })

  it('writes no line for a URI a deny filter matches, and only allowed ones when allow filters exist', async () => {
    await app.request('/v3/settings/x', {}, env({ filters: [{ action: 'deny', requestURI: '^/v3/settings' }] }))
    await app.request('/v3/tokens', {}, env({ filters: [{ action: 'deny', requestURI: '^/v3/settings' }] }))
    await app.request('/v3/users', {}, env({ filters: [{ action: 'allow', requestURI: '^/k8s/' }] }))
    await app.request('/k8s/clusters/c-1/api/v1/pods', {}, env({ filters: [{ action: 'allow', requestURI: '^/k8s/' }] }))
    expect(lines.map((l) => l.requestURI)).toEqual(['/v3/tokens', '/k8s/clusters/c-1/api/v1/pods'])
  })

  it('adds headers at level 1, the request body at 2, the response body at 3 — all redacted', async () => {
    for (const level of [1, 2, 3]) await secretCreate({ level })
    const [one, two, three] = lines
    expect(one).toHaveProperty('requestHeaders')
    expect(one).not.toHaveProperty('requestBody')
    expect(two).toHaveProperty('requestBody')
    expect(two).not.toHaveProperty('responseBody')
    expect(three).toMatchObject({ requestBody: { kind: 'Secret', stringData: '[redacted]' }, responseBody: { kind: 'Secret', data: '[redacted]' } })
    expect(three!.requestHeaders).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]' })
    expect(JSON.stringify(lines)).not.toContain(SECRET)
    expect(JSON.stringify(lines)).not.toContain(btoa(SECRET))
  })

  it('redacts a token in a /v3 response at level 3, and the policy’s own header and paths', async () => {
    await app.request('/v3/tokens', { method: 'POST', headers: { 'x-vendor': SECRET, 'content-type': 'application/json' }, body: JSON.stringify({ spec: { pin: SECRET } }) },
      env({ level: 3, additionalRedactions: [{ headers: ['^x-vendor$'], paths: ['$.spec.pin'] }] }))
    expect(lines).toHaveLength(1)
    expect(JSON.stringify(lines)).not.toContain(SECRET)
  })

  it('logs an import URL without its registration token', async () => {
    await app.request(`/v3/import/${SECRET}_c-abc12.yaml`, {}, env({ level: 1 }))
    expect(lines[0]).toMatchObject({ requestURI: '/v3/import/[redacted]_c-abc12.yaml', cluster: 'c-abc12', resource: 'import', verb: 'get' })
  })

  it('still audits (metadata only) when the policy is invalid', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    await secretCreate({ level: 7 })
    expect(err).toHaveBeenCalledWith(expect.stringMatching(/level must be 0, 1, 2 or 3/))
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toHaveProperty('requestHeaders')
  })
})
