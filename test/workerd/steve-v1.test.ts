// Steve's `/v1` on the edge's own code against a real management apiserver (test/support/
// management-relay.ts behind `env.MANAGEMENT`, as in management-api.test.ts): discovery, schemas per
// caller, pass-through lists with the contract's query language, per-user access (one namespace's
// RoleBinding), counts, single objects, writes and errors. Every access decision comes from the real
// kube-apiserver's RBAC.
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
interface Answer<T> {
  status: number
  body: T
  headers: Headers
}

async function call<T = Obj>(method: string, path: string, opts: { token?: string; body?: unknown; contentType?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json'
  const res = await app.request(path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) }, env)
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers }
}

async function login(username: string, password: string): Promise<string> {
  const res = await call<{ token?: string }>('POST', '/v3-public/localProviders/local?action=login', { body: { username, password, responseType: 'json' } })
  if (res.status !== 201 || !res.body.token) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.token
}

async function must<T = Obj>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await call<T>(method, path, { token, body })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

interface Collection {
  type: string
  resourceType: string
  count?: number
  pages?: number
  revision?: string
  continue?: string
  createTypes?: Record<string, string>
  links: { self: string }
  data: { id: string; type: string; links: Record<string, string>; metadata: { name: string; namespace?: string; fields?: unknown[]; state?: { name: string } } }[]
}

interface Schema {
  id: string
  links: { self: string; collection?: string }
  resourceMethods: string[]
  collectionMethods: string[]
  attributes?: { group: string; version: string; kind: string; resource: string; namespaced: boolean; verbs: string[]; columns: { name: string; field: string }[] }
}

const LABEL = 'v1-test'
const ids = (c: Collection) => c.data.map((d) => d.id)

describe('/v1 against a real management apiserver', () => {
  let admin: string
  let one: string
  let none: string

  beforeAll(async () => {
    admin = await login('admin', env.MANAGEMENT_ADMIN_PASSWORD)
    const users: Record<string, string> = {}
    for (const name of ['v1-one', 'v1-none']) {
      const created = await must<{ id: string }>('POST', '/v3/users', admin, { username: name, password: `${name}-password-1234` })
      users[name] = created.id
    }
    one = await login('v1-one', 'v1-one-password-1234')
    none = await login('v1-none', 'v1-none-password-1234')

    // Written through /v1 itself, as the admin: namespaces, labelled ConfigMaps, and a Role and RoleBinding
    // that let v1-one read ConfigMaps in v1-a only.
    for (const ns of ['v1-a', 'v1-b']) await must('POST', '/v1/namespaces', admin, { metadata: { name: ns } })
    const configMaps: [string, string, Record<string, string>][] = [
      ['v1-a', 'cm-1', { a: '1' }],
      ['v1-a', 'cm-2', { a: '1', b: '2' }],
      ['v1-a', 'cm-3', { a: '1', b: '2', c: '3' }],
      ['v1-b', 'cm-x', { a: '1' }],
      ['v1-b', 'cm-y', {}],
    ]
    for (const [ns, name, data] of configMaps) {
      await must('POST', `/v1/configmaps/${ns}`, admin, { metadata: { name, labels: { [LABEL]: 'yes', tier: name === 'cm-3' ? 'db' : 'web' } }, data })
    }
    for (const ns of ['v1-a', 'v1-b']) await must('POST', `/v1/secrets/${ns}`, admin, { metadata: { name: `s-${ns}`, labels: { [LABEL]: 'yes' } }, stringData: { key: ns } })
    await must('POST', '/v1/rbac.authorization.k8s.io.roles', admin, {
      metadata: { name: 'read-configmaps', namespace: 'v1-a' },
      rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] }],
    })
    await must('POST', '/v1/rbac.authorization.k8s.io.rolebindings/v1-a', admin, {
      metadata: { name: 'v1-one-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: users['v1-one'] }],
    })
  }, 180_000)

  it('describes types with the columns of their Table and the methods each caller may use', async () => {
    const asAdmin = await must<{ type: string; resourceType: string; data: Schema[] }>('GET', '/v1/schemas', admin)
    expect(asAdmin.resourceType).toBe('schema')
    const byId = new Map(asAdmin.data.map((s) => [s.id, s]))
    const configmap = byId.get('configmap')!
    expect(configmap.attributes).toMatchObject({ group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true })
    expect(configmap.attributes!.verbs).toEqual(expect.arrayContaining(['list', 'watch', 'create', 'delete']))
    expect(configmap.attributes!.columns.slice(0, 2)).toEqual([
      expect.objectContaining({ name: 'Name', field: '$.metadata.fields[0]' }),
      expect.objectContaining({ name: 'Data', field: '$.metadata.fields[1]' }),
    ])
    expect(configmap.collectionMethods).toEqual(['GET', 'POST'])
    expect(configmap.resourceMethods).toEqual(['GET', 'DELETE', 'PUT', 'PATCH'])
    expect(configmap.links.collection).toMatch(/\/v1\/configmaps$/)
    // CRDs are discovered like built-in types.
    expect(byId.get('management.cattle.io.user')?.attributes).toMatchObject({ group: 'management.cattle.io', kind: 'User', namespaced: false })
    expect(byId.has('count')).toBe(true)

    const asOne = await must<{ data: Schema[] }>('GET', '/v1/schemas', one)
    const mine = new Map(asOne.data.map((s) => [s.id, s]))
    expect(mine.get('configmap')).toMatchObject({ collectionMethods: ['GET'], resourceMethods: ['GET'] })
    expect(mine.get('configmap')!.attributes!.columns[0]).toMatchObject({ name: 'Name' })
    expect(mine.has('secret')).toBe(true)
    expect(mine.has('apps.deployment')).toBe(false)
    expect(mine.has('management.cattle.io.user')).toBe(false)
    // Steve always lists namespaces (a caller sees those they hold a grant in).
    expect(mine.has('namespace')).toBe(true)

    const asNone = await must<{ data: Schema[] }>('GET', '/v1/schemas', none)
    expect(asNone.data.map((s) => s.id)).not.toContain('configmap')

    expect((await must<Schema>('GET', '/v1/schemas/configmaps', one)).id).toBe('configmap')
    const hidden = await call('GET', '/v1/schemas/apps.deployment', { token: one })
    expect(hidden.status).toBe(404)
    expect(hidden.body).toMatchObject({ type: 'error', status: 404, code: 'NotFound' })
  })

  it('lists with filters, sorting and pages, each item formatted with its table cells and state', async () => {
    const all = await must<Collection>('GET', `/v1/configmaps?filter=metadata.labels[${LABEL}]=yes&sort=-metadata.name&pagesize=2`, admin)
    expect(all).toMatchObject({ type: 'collection', resourceType: 'configmap', count: 5, pages: 3 })
    expect(ids(all)).toEqual(['v1-b/cm-y', 'v1-b/cm-x'])
    expect(all.revision).toMatch(/^[0-9]+$/)
    expect(all.createTypes).toEqual({ configmap: expect.stringMatching(/\/v1\/configmaps$/) })
    const second = await must<Collection>('GET', `/v1/configmaps?filter=metadata.labels[${LABEL}]=yes&sort=-metadata.name&pagesize=2&page=2`, admin)
    expect(ids(second)).toEqual(['v1-a/cm-3', 'v1-a/cm-2'])

    const item = all.data[0]!
    expect(item.type).toBe('configmap')
    expect(item.links.self).toMatch(/\/v1\/configmaps\/v1-b\/cm-y$/)
    expect(item.links.update).toBe(item.links.self)
    expect(item.links.remove).toBe(item.links.self)
    expect(item.metadata.fields?.slice(0, 2)).toEqual(['cm-y', 0])
    expect(item.metadata.state).toMatchObject({ name: 'active' })

    // OR within a filter, AND across filters; table cells by index; the namespace-scoped route.
    const web = await must<Collection>('GET', `/v1/configmaps?filter=metadata.labels[tier]=db,metadata.name=cm-x&filter=metadata.labels[${LABEL}]=yes`, admin)
    expect(ids(web)).toEqual(['v1-a/cm-3', 'v1-b/cm-x'])
    const big = await must<Collection>('GET', `/v1/configmaps/v1-a?filter=metadata.fields[1]>1`, admin)
    expect(ids(big)).toEqual(['v1-a/cm-2', 'v1-a/cm-3'])
    const limited = await must<Collection>('GET', `/v1/configmaps/v1-a?filter=metadata.labels[${LABEL}]=yes&limit=2`, admin)
    expect(ids(limited)).toEqual(['v1-a/cm-1', 'v1-a/cm-2'])
    const rest = await must<Collection>('GET', `/v1/configmaps/v1-a?filter=metadata.labels[${LABEL}]=yes&limit=2&continue=${limited.continue}`, admin)
    expect(ids(rest)).toEqual(['v1-a/cm-3'])
    const trimmed = await must<Collection>('GET', `/v1/configmaps/v1-a/cm-1?exclude=metadata.managedFields`, admin)
    expect(trimmed).toMatchObject({ id: 'v1-a/cm-1', type: 'configmap' })
    expect((trimmed as unknown as { metadata: Obj }).metadata.managedFields).toBeUndefined()
  })

  it('shows a user bound in one namespace exactly that namespace, in lists, counts and namespaces', async () => {
    const mine = await must<Collection>('GET', `/v1/configmaps?filter=metadata.labels[${LABEL}]=yes`, one)
    expect(ids(mine)).toEqual(['v1-a/cm-1', 'v1-a/cm-2', 'v1-a/cm-3'])
    // Read-only: no update or remove links, and no create.
    expect(Object.keys(mine.data[0]!.links).sort()).toEqual(['self', 'view'])
    expect(mine.createTypes).toBeUndefined()
    const other = await must<Collection>('GET', '/v1/configmaps/v1-b', one)
    expect(other.data).toEqual([])

    const counts = await must<{ data: { id: string; type: string; counts: Record<string, { summary: { count?: number }; namespaces?: Record<string, { count?: number }> }> }[] }>(
      'GET',
      '/v1/counts',
      one,
    )
    const count = counts.data[0]!
    expect(count).toMatchObject({ id: 'count', type: 'count' })
    expect(Object.keys(count.counts.configmap!.namespaces ?? {})).toEqual(['v1-a'])
    expect(count.counts.configmap!.summary.count).toBe(count.counts.configmap!.namespaces!['v1-a']!.count)
    expect(count.counts['apps.deployment']).toBeUndefined()
    const adminCounts = await must<{ data: { counts: Record<string, { namespaces?: Record<string, unknown> }> }[] }>('GET', '/v1/counts', admin)
    expect(Object.keys(adminCounts.data[0]!.counts.configmap!.namespaces ?? {})).toEqual(expect.arrayContaining(['v1-a', 'v1-b']))

    const namespaces = await must<Collection>('GET', '/v1/namespaces', one)
    expect(ids(namespaces)).toEqual(['v1-a'])
    const everyNamespace = await must<Collection>('GET', '/v1/namespaces', admin)
    expect(ids(everyNamespace)).toEqual(expect.arrayContaining(['v1-a', 'v1-b', 'default']))
  })

  it('lists a cluster-scoped type granted by name only: exactly those objects, read as the caller', async () => {
    const named = await must<{ id: string }>('POST', '/v3/users', admin, { username: 'v1-named', password: 'v1-named-password-1234' })
    for (const name of ['v1-named-a', 'v1-named-b']) await must('POST', '/v1/rbac.authorization.k8s.io.clusterroles', admin, { metadata: { name }, rules: [] })
    await must('POST', '/v1/rbac.authorization.k8s.io.clusterroles', admin, {
      metadata: { name: 'v1-get-named-a' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['v1-named-a', 'v1-gone'], verbs: ['get'] }],
    })
    await must('POST', '/v1/rbac.authorization.k8s.io.clusterrolebindings', admin, {
      metadata: { name: 'v1-named-gets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'v1-get-named-a' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: named.id }],
    })
    const token = await login('v1-named', 'v1-named-password-1234')
    const list = await must<Collection>('GET', '/v1/rbac.authorization.k8s.io.clusterroles', token)
    // The granted name that does not exist is simply absent; nothing else shows.
    expect(ids(list)).toEqual(['v1-named-a'])
    expect(list.count).toBe(1)
    const filtered = await must<Collection>('GET', '/v1/rbac.authorization.k8s.io.clusterroles?filter=metadata.name=v1-named-b', token)
    expect(ids(filtered)).toEqual([])
  })

  it('answers from the list index once it holds the type, with the same per-caller results', async () => {
    const index = env.CACHE.get(env.CACHE.idFromName('local'))
    const warmed = await index.warm('local', { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true }, 60_000)
    expect(warmed.listed).toBe(true)

    const page = await call<Collection>('GET', `/v1/configmaps?filter=metadata.labels[${LABEL}]=yes&sort=-metadata.name&pagesize=2&page=2`, { token: admin })
    expect(page.headers.get('x-drover-list')).toBe('index')
    expect(page.body).toMatchObject({ count: 5, pages: 3 })
    expect(ids(page.body)).toEqual(['v1-a/cm-3', 'v1-a/cm-2'])
    expect(page.body.data[0]!.metadata.fields?.slice(0, 2)).toEqual(['cm-3', 3])
    expect(page.body.data[0]!.links.remove).toBe(page.body.data[0]!.links.self)

    const mine = await call<Collection>('GET', `/v1/configmaps?filter=metadata.labels[${LABEL}]=yes`, { token: one })
    expect(mine.headers.get('x-drover-list')).toBe('index')
    expect(ids(mine.body)).toEqual(['v1-a/cm-1', 'v1-a/cm-2', 'v1-a/cm-3'])
    expect(Object.keys(mine.body.data[0]!.links).sort()).toEqual(['self', 'view'])
    const other = await call<Collection>('GET', '/v1/configmaps/v1-b', { token: one })
    expect(other.headers.get('x-drover-list')).toBe('index')
    expect(other.body.data).toEqual([])
    expect((await call('GET', '/v1/configmaps', { token: none })).status).toBe(404)
    const bad = await call('GET', '/v1/configmaps?filter=metadata.fields[1]>abc', { token: admin })
    expect(bad.status).toBe(400)
  })

  it('answers Secrets through the tunnel as the caller, never from the index that keeps them without values', async () => {
    const mine = await call<{ data: { id: string; data?: Record<string, string> }[] }>('GET', `/v1/secrets?filter=metadata.labels[${LABEL}]=yes`, { token: one })
    expect(mine.headers.get('x-drover-list')).toBe('tunnel')
    expect(mine.body.data.map((s) => s.id)).toEqual(['v1-a/s-v1-a'])
    expect(mine.body.data[0]!.data).toEqual({ key: btoa('v1-a') })
    const all = await call<Collection>('GET', `/v1/secrets?filter=metadata.labels[${LABEL}]=yes`, { token: admin })
    expect(all.headers.get('x-drover-list')).toBe('tunnel')
    expect(ids(all.body)).toEqual(['v1-a/s-v1-a', 'v1-b/s-v1-b'])
  })

  it('hides a type from a caller with no grant on it, as Steve does (404), and lists nothing of it', async () => {
    const res = await call('GET', '/v1/configmaps', { token: none })
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({ type: 'error', status: 404, code: 'NotFound' })
    const counts = await must<{ data: { counts: Record<string, unknown> }[] }>('GET', '/v1/counts', none)
    expect(counts.data[0]!.counts.configmap).toBeUndefined()
  })

  it('gets one object as the caller, and passes the apiserver refusal on with its status', async () => {
    const cm = await must<{ id: string; type: string; data: Obj; metadata: { fields: unknown[] } }>('GET', '/v1/configmaps/v1-a/cm-2', one)
    expect(cm).toMatchObject({ id: 'v1-a/cm-2', type: 'configmap', data: { a: '1', b: '2' } })
    expect(cm.metadata.fields[0]).toBe('cm-2')
    const refused = await call<{ status: number; code: string; message: string }>('GET', '/v1/configmaps/v1-b/cm-x', { token: one })
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ type: 'error', status: 403, code: 'Forbidden' })
    expect(refused.body.message).toMatch(/cannot get resource "configmaps"/)
    const missing = await call('GET', '/v1/configmaps/v1-a/no-such', { token: admin })
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ type: 'error', status: 404, code: 'NotFound' })
    const ns = await must<{ id: string; type: string }>('GET', '/v1/namespaces/v1-a', admin)
    expect(ns).toMatchObject({ id: 'v1-a', type: 'namespace' })
  })

  it('creates, updates, patches and deletes as the caller', async () => {
    const created = await call<{ id: string; type: string; metadata: { name: string; resourceVersion: string } }>('POST', '/v1/configmaps/v1-b', { token: admin, body: { data: { k: 'v' } } })
    expect(created.status).toBe(201)
    expect(created.body.type).toBe('configmap')
    expect(created.body.metadata.name).toMatch(/^c-/)
    const id = created.body.id
    const noVersion = await call('PUT', `/v1/configmaps/${id}`, { token: admin, body: { metadata: { name: created.body.metadata.name }, data: {} } })
    expect(noVersion.status).toBe(422)
    const updated = await must<{ data: Obj; metadata: { resourceVersion: string } }>('PUT', `/v1/configmaps/${id}`, admin, {
      metadata: { name: created.body.metadata.name, resourceVersion: created.body.metadata.resourceVersion },
      data: { k: 'w' },
    })
    expect(updated.data).toEqual({ k: 'w' })
    const patched = await call<{ data: Obj }>('PATCH', `/v1/configmaps/${id}`, { token: admin, body: { data: { p: 'q' } }, contentType: 'application/merge-patch+json' })
    expect(patched.status).toBe(200)
    expect(patched.body.data).toEqual({ k: 'w', p: 'q' })

    const refused = await call<{ code: string }>('POST', '/v1/configmaps/v1-a', { token: one, body: { metadata: { name: 'nope' } } })
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('Forbidden')
    const exists = await call<{ code: string }>('POST', '/v1/configmaps/v1-a', { token: admin, body: { metadata: { name: 'cm-1' } } })
    expect(exists.status).toBe(409)
    expect(exists.body.code).toBe('AlreadyExists')

    const deleted = await call('DELETE', `/v1/configmaps/${id}`, { token: admin })
    expect(deleted.status).toBe(204)
    expect((await call('GET', `/v1/configmaps/${id}`, { token: admin })).status).toBe(404)
  })

  it('answers bad input with Steve 400s and unknown types with 404', async () => {
    for (const query of ['filter=metadata.labels[x', 'pagesize=abc', 'sort=-', 'revision=abc', 'limit=x', 'pagesize=1000000']) {
      const res = await call<{ type: string; status: number; code: string; fieldName?: string }>('GET', `/v1/configmaps?${query}`, { token: admin })
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ type: 'error', status: 400, code: 'BadRequest' })
    }
    for (const path of ['/v1/no.such.kind', '/v1/no.such.kind/ns/name', '/v1/schemas/no.such.kind']) {
      const res = await call('GET', path, { token: admin })
      expect(res.status, path).toBe(404)
      expect(res.body, path).toMatchObject({ type: 'error', status: 404, code: 'NotFound' })
    }
    expect((await call('GET', '/v1/configmaps')).status).toBe(401)
  })

  it('serves the same API under /k8s/clusters/<id>/v1', async () => {
    // A static test credential (no drover token): cluster access checks pass, the cluster's RBAC decides.
    const schemas = await call<{ resourceType: string; links: { self: string }; data: Schema[] }>('GET', '/k8s/clusters/local/v1/schemas', { token: 'token-all:secret' })
    expect(schemas.status).toBe(200)
    expect(schemas.body.resourceType).toBe('schema')
    expect(schemas.body.data.find((s) => s.id === 'count')?.links.collection).toMatch(/\/k8s\/clusters\/local\/v1\/counts$/)
    // A cluster without an agent: the tunnel's refusal as a Steve error, never the apiserver proxy's answer.
    const down = await call<{ type: string; status: number; code: string }>('GET', '/k8s/clusters/c-one/v1/configmaps', { token: 'token-all:secret' })
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({ type: 'error', status: 503 })
    const scoped = await call('GET', '/k8s/clusters/c-two/v1/configmaps', { token: 'token-one:secret' })
    expect(scoped.status).toBe(403)
  })
})
