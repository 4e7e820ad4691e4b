// `/v1/subscribe` on the edge's own code against a real management apiserver (the relay behind
// `env.MANAGEMENT`; the list index of cluster `local` is fed through it): events for objects changed through
// the apiserver, per-user RBAC on every event (a user with one namespace never sees another's), the
// dashboard's `resource.changes` mode, a resume from a revision, "too old", bad messages, and the socket
// closing when the token is revoked.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../workers/app.ts'
import { droverAuthenticator } from '../../workers/identity/drover-authenticator.ts'
import { tunnelManagement } from '../../workers/mgmt/management.ts'
import { withStaticTokens } from './static-tokens.ts'

const app = createApp({
  management: () => tunnelManagement(() => env.MANAGEMENT),
  authenticator: (bindings, management) => withStaticTokens(droverAuthenticator(bindings, management), env.DROVER_STATIC_TOKENS),
})

type Obj = Record<string, unknown>
interface Event {
  name: string
  resourceType?: string
  namespace?: string
  revision?: string
  mode?: string
  data?: { id?: string; metadata?: { name?: string; namespace?: string }; data?: Obj; error?: string; links?: Record<string, string> }
}

async function call<T = Obj>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, env)
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

async function login(username: string, password: string): Promise<string> {
  const res = await app.request('/v3-public/localProviders/local?action=login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, responseType: 'json' }) }, env)
  const body = (await res.json()) as { token?: string }
  if (res.status !== 201 || !body.token) throw new Error(`login as ${username}: ${res.status}`)
  return body.token
}

/** A subscribe socket: what it received so far, and a wait for an event. */
async function subscribe(token: string) {
  const res = await app.request('/v1/subscribe', { headers: { upgrade: 'websocket', authorization: `Bearer ${token}` } }, env)
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  const events: Event[] = []
  let closed: { code: number } | undefined
  ws.addEventListener('message', (e) => {
    events.push(JSON.parse(e.data as string) as Event)
  })
  ws.addEventListener('close', (e) => {
    closed = { code: e.code }
  })
  const until = async (what: string, ok: (e: Event[]) => boolean, ms = 30_000) => {
    const end = Date.now() + ms
    while (!ok(events)) {
      if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(events.map((e) => [e.name, e.data?.id ?? e.data?.error ?? e.revision]))}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return { ws, events, until, send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)), closed: () => closed }
}

const names = (events: Event[], name: string) => events.filter((e) => e.name === name).map((e) => e.data?.id)

describe('/v1/subscribe against a real management apiserver', () => {
  let admin: string
  let one: string
  let oneId: string

  beforeAll(async () => {
    admin = await login('admin', env.MANAGEMENT_ADMIN_PASSWORD)
    oneId = (await call<{ id: string }>('POST', '/v3/users', admin, { username: 'sub-one', password: 'sub-one-password-1234' })).id
    one = await login('sub-one', 'sub-one-password-1234')
    for (const ns of ['sub-a', 'sub-b']) await call('POST', '/v1/namespaces', admin, { metadata: { name: ns } })
    await call('POST', '/v1/rbac.authorization.k8s.io.roles', admin, {
      metadata: { name: 'watch-configmaps', namespace: 'sub-a' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    })
    await call('POST', '/v1/rbac.authorization.k8s.io.rolebindings/sub-a', admin, {
      metadata: { name: 'sub-one-watches' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'watch-configmaps' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: oneId }],
    })
    // The index feeds configmaps from the first list on; subscriptions read its change stream.
    for (let i = 0; i < 300; i++) {
      const res = await app.request('/v1/configmaps?pagesize=1', { headers: { authorization: `Bearer ${admin}` } }, env)
      await res.text()
      if (res.headers.get('x-drover-list') === 'index') break
      await new Promise((r) => setTimeout(r, 100))
    }
  }, 180_000)

  it('sends start, then create, change and remove events for objects changed through the apiserver', async () => {
    const s = await subscribe(admin)
    s.send({ resourceType: 'configmap', namespace: 'sub-a' })
    await s.until('resource.start', (e) => e.some((x) => x.name === 'resource.start'))
    expect(s.events[0]).toEqual({ name: 'resource.start', resourceType: 'configmap', namespace: 'sub-a' })
    await call('POST', '/v1/configmaps/sub-a', admin, { metadata: { name: 'cm-live' }, data: { v: '1' } })
    await call('PUT', '/v1/configmaps/sub-a/cm-live', admin, {
      metadata: { name: 'cm-live', namespace: 'sub-a', resourceVersion: (await call<{ metadata: { resourceVersion: string } }>('GET', '/v1/configmaps/sub-a/cm-live', admin)).metadata.resourceVersion },
      data: { v: '2' },
    })
    await call('DELETE', '/v1/configmaps/sub-a/cm-live', admin)
    await s.until('the remove', (e) => names(e, 'resource.remove').includes('sub-a/cm-live'))
    const mine = s.events.filter((e) => e.data?.id === 'sub-a/cm-live')
    expect(mine.map((e) => [e.name, e.data?.data?.v])).toEqual([
      ['resource.create', '1'],
      ['resource.change', '2'],
      ['resource.remove', '2'],
    ])
    // Steve's shape: the subscription's fields, a revision, and the object formatted as /v1 lists it.
    expect(mine[0]).toMatchObject({ resourceType: 'configmap', namespace: 'sub-a', revision: expect.stringMatching(/^\d+$/) })
    expect(mine[0]!.data).toMatchObject({ id: 'sub-a/cm-live', type: 'configmap', links: { self: expect.stringContaining('/v1/configmaps/sub-a/cm-live') } })
    s.send({ resourceType: 'configmap', namespace: 'sub-a', stop: true })
    await s.until('resource.stop', (e) => e.some((x) => x.name === 'resource.stop'))
    s.ws.close()
  }, 60_000)

  it('never sends a user an event from a namespace they may not watch, even when they subscribe to all', async () => {
    const s = await subscribe(one)
    s.send({ resourceType: 'configmap' })
    await s.until('resource.start', (e) => e.some((x) => x.name === 'resource.start'))
    await call('POST', '/v1/configmaps/sub-b', admin, { metadata: { name: 'hidden' }, data: { v: 'secret-ish' } })
    await call('POST', '/v1/configmaps/sub-a', admin, { metadata: { name: 'shown' }, data: { v: 'ok' } })
    await s.until('the allowed create', (e) => names(e, 'resource.create').includes('sub-a/shown'))
    // Events arrive in revision order: the earlier one in sub-b would have come first.
    expect(s.events.flatMap((e) => (e.data?.id ? [e.data.id] : []))).toEqual(['sub-a/shown'])
    expect(s.events.some((e) => e.data?.metadata?.namespace === 'sub-b')).toBe(false)
    s.ws.close()
  }, 60_000)

  it('sends a user granted objects by name the events of those objects only', async () => {
    const namedId = (await call<{ id: string }>('POST', '/v3/users', admin, { username: 'sub-named', password: 'sub-named-password-1234' })).id
    for (const name of ['sub-named-a', 'sub-named-b']) await call('POST', '/v1/rbac.authorization.k8s.io.clusterroles', admin, { metadata: { name }, rules: [] })
    await call('POST', '/v1/rbac.authorization.k8s.io.clusterroles', admin, {
      metadata: { name: 'sub-get-named-a' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['sub-named-a'], verbs: ['get'] }],
    })
    await call('POST', '/v1/rbac.authorization.k8s.io.clusterrolebindings', admin, {
      metadata: { name: 'sub-named-gets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sub-get-named-a' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: namedId }],
    })
    for (let i = 0; i < 300; i++) {
      const res = await app.request('/v1/rbac.authorization.k8s.io.clusterroles?pagesize=1', { headers: { authorization: `Bearer ${admin}` } }, env)
      await res.text()
      if (res.headers.get('x-drover-list') === 'index') break
      await new Promise((r) => setTimeout(r, 100))
    }
    const token = await login('sub-named', 'sub-named-password-1234')
    const s = await subscribe(token)
    s.send({ resourceType: 'rbac.authorization.k8s.io.clusterrole' })
    await s.until('resource.start', (e) => e.some((x) => x.name === 'resource.start' || x.name === 'resource.error'))
    expect(s.events[0]?.name).toBe('resource.start')
    for (const name of ['sub-named-b', 'sub-named-a']) {
      const current = await call<{ metadata: Record<string, unknown>; rules?: unknown[] }>('GET', `/v1/rbac.authorization.k8s.io.clusterroles/${name}`, admin)
      await call('PUT', `/v1/rbac.authorization.k8s.io.clusterroles/${name}`, admin, { metadata: { name, resourceVersion: current.metadata.resourceVersion, labels: { touched: 'yes' } }, rules: [] })
    }
    await s.until('the granted change', (e) => names(e, 'resource.change').includes('sub-named-a'))
    // In revision order: b's change, which came first, was never sent.
    expect(s.events.flatMap((e) => (e.data?.id ? [e.data.id] : []))).toEqual(['sub-named-a'])
    s.ws.close()
  }, 60_000)

  it('refuses a type the user may not watch with resource.error', async () => {
    const s = await subscribe(one)
    s.send({ resourceType: 'secret' })
    await s.until('an error', (e) => e.some((x) => x.name === 'resource.error'))
    expect(s.events[0]).toMatchObject({ name: 'resource.error', resourceType: 'secret', data: { error: expect.stringContaining('may not watch secrets') } })
    s.ws.close()
  }, 60_000)

  it('in resource.changes mode tells the first change at once and debounces the rest into one notice with the latest revision', async () => {
    const s = await subscribe(admin)
    s.send({ resourceType: 'configmap', namespace: 'sub-a', mode: 'resource.changes', debounceMs: 1000 })
    await s.until('resource.start', (e) => e.some((x) => x.name === 'resource.start'))
    const revisions: string[] = []
    for (let i = 0; i < 4; i++) {
      const created = await call<{ metadata: { resourceVersion: string } }>('POST', '/v1/configmaps/sub-a', admin, { metadata: { name: `burst-${i}` } })
      revisions.push(created.metadata.resourceVersion)
    }
    await s.until('the debounced notice', (e) => e.filter((x) => x.name === 'resource.changes').some((x) => x.revision === revisions[3]))
    const notices = s.events.filter((e) => e.name === 'resource.changes')
    expect(notices[0]).toMatchObject({ resourceType: 'configmap', namespace: 'sub-a', mode: 'resource.changes', revision: revisions[0] })
    // Each notice names the newest change it covers, in order; how many windows the burst spans depends on
    // timing, so the count is left to the debouncer's unit test (protocol/api/steve/subscribe.test.ts).
    const told = notices.map((n) => n.revision!)
    expect(told.every((rv) => revisions.includes(rv))).toBe(true)
    expect([...told].sort((a, b) => Number(a) - Number(b))).toEqual(told)
    expect(new Set(told).size).toBe(told.length)
    expect(s.events.some((e) => e.name === 'resource.create')).toBe(false)
    s.ws.close()
  }, 60_000)

  it('replays exactly what changed after a revision, and answers a revision outside the kept window "too old"', async () => {
    const first = await call<{ metadata: { resourceVersion: string } }>('POST', '/v1/configmaps/sub-a', admin, { metadata: { name: 'resume-1' } })
    await call('POST', '/v1/configmaps/sub-a', admin, { metadata: { name: 'resume-2' } })
    // The index must hold resume-2 before a resume can replay it.
    for (let i = 0; i < 200; i++) {
      const list = await call<{ data: { id: string }[] }>('GET', '/v1/configmaps/sub-a?filter=metadata.name=resume-2', admin)
      if (list.data.length === 1) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const s = await subscribe(admin)
    s.send({ resourceType: 'configmap', namespace: 'sub-a', resourceVersion: first.metadata.resourceVersion })
    await s.until('the replay', (e) => names(e, 'resource.create').includes('sub-a/resume-2'))
    expect(names(s.events, 'resource.create')).toEqual(['sub-a/resume-2'])

    s.send({ resourceType: 'configmap', namespace: 'sub-b', resourceVersion: '1' })
    await s.until('too old', (e) => e.some((x) => x.name === 'resource.error'))
    expect(s.events.find((e) => e.name === 'resource.error')?.data?.error).toContain('too old')
    s.ws.close()
  }, 60_000)

  it('answers bad messages with resource.error and keeps the socket', async () => {
    const s = await subscribe(admin)
    s.send('not json')
    s.send({ resourceType: 'configmap', mode: 'everything' })
    s.send({ resourceType: 'no-such-type' })
    await s.until('three errors', (e) => e.filter((x) => x.name === 'resource.error').length === 3)
    expect(s.events.map((e) => e.data?.error)).toEqual([
      expect.stringContaining('JSON object'),
      expect.stringContaining('unknown mode'),
      expect.stringContaining('no-such-type'),
    ])
    expect(s.closed()).toBeUndefined()
    s.ws.close()
  }, 60_000)

  it('closes the socket with 1008 once its token is revoked', async () => {
    const token = await login('sub-one', 'sub-one-password-1234')
    const s = await subscribe(token)
    s.send({ resourceType: 'configmap', namespace: 'sub-a' })
    await s.until('resource.start', (e) => e.some((x) => x.name === 'resource.start'))
    await call('DELETE', `/v3/tokens/${token.split(':')[0]}`, admin)
    const end = Date.now() + 30_000
    while (!s.closed() && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    expect(s.closed()?.code).toBe(1008)
  }, 60_000)

  it('lists the API root with the links a client starts from', async () => {
    const root = await call<{ type: string; data: { id: string; type: string; links: Record<string, string> }[] }>('GET', '/v1', admin)
    expect(root.type).toBe('collection')
    expect(root.data[0]).toMatchObject({ id: 'v1', type: 'apiRoot', links: { schemas: expect.stringMatching(/\/v1\/schemas$/), subscribe: expect.stringMatching(/^ws.*\/v1\/subscribe$/) } })
  })

  it('is a WebSocket only', async () => {
    const res = await app.request('/v1/subscribe', { headers: { authorization: `Bearer ${admin}` } }, env)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ type: 'error', status: 400 })
  })
})
