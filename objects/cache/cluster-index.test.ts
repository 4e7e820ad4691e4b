// The list index against a real kube-apiserver: cluster `local` is test/support/management-relay.ts
// (the test entry's ClusterIndex sends `local`'s envelopes to env.MANAGEMENT), so every LIST, WATCH,
// 410 and permission answer here is the apiserver's. The cache reads as CACHE_IDENTITY through RBAC
// from infra/management/rbac.ts; the test writes as a cluster admin through the same relay.
import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { evaluateList, formatResource, parseListQuery } from '../../protocol/api/steve/index.ts'
import { CONFIG_MAP, EVENT, KubeClient, NAMESPACE, SECRET, type KubeObject, type ResourceType } from '../../protocol/kube/index.ts'
import { CACHE_IDENTITY } from '../../protocol/api/identities.ts'
import { tunnelTransport } from '../tunnel/envelope.ts'
import { Feeder, FEEDER_DEFAULTS } from './feeder.ts'
import { storable } from './redact.ts'
import { IndexSql } from './sql.ts'
import { TypeIndex } from './type-index.ts'

const ADMIN = { user: 'cache-test-admin', groups: ['system:masters'], extra: {} }
const admin = new KubeClient(tunnelTransport(env.MANAGEMENT, 'local', ADMIN))
/** A stub per call: stubs of an aborted object do not reach its next instance. */
const index = () => env.CACHE.get(env.CACHE.idFromName('local'))
const POD: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true }
const NS = 'cache-test'
const all = parseListQuery(new URLSearchParams())
const WAIT = { timeout: 60_000, interval: 200 }

const listIn = async (type: ResourceType, text = '', namespaces: 'all' | string[] = [NS]) => {
  const answer = await index().list('local', type, parseListQuery(new URLSearchParams(text)), namespaces)
  if (answer.kind !== 'list') throw new Error(`not a list: ${JSON.stringify(answer)}`)
  return answer
}
const objectOf = (item: { object: string }) => JSON.parse(item.object) as Record<string, unknown>
const cellsOf = (item: { cells: string | null }) => (item.cells === null ? undefined : (JSON.parse(item.cells) as unknown[]))
const idsIn = async (type: ResourceType, text = '') => (await listIn(type, text)).items.map((i) => i.id)

function configMap(name: string, labels: Record<string, string>, data: Record<string, string>): KubeObject & { data: Record<string, string> } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels }, data }
}

function pod(name: string, node: string, app: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app } },
    spec: { nodeName: node, containers: [{ name: 'c', image: `registry.example/${app}:1` }] },
  } as KubeObject
}

function event(name: string, reason: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: NS },
    involvedObject: { kind: 'ConfigMap', name: 'cm-a', namespace: NS },
    reason,
    message: `${reason} happened`,
    type: 'Normal',
  } as KubeObject
}

describe('the list index of cluster local, fed through the relay by a real apiserver', () => {
  beforeAll(async () => {
    // The first request starts the management cluster (a few seconds).
    await admin.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject)
    await admin.create(CONFIG_MAP, configMap('cm-a', { app: 'web', tier: 'front' }, { one: '1' }))
    await admin.create(CONFIG_MAP, configMap('cm-b', { app: 'web' }, { one: '1', two: '2' }))
    await admin.create(CONFIG_MAP, configMap('cm-c', { app: 'db' }, {}))
  }, 180_000)

  // Stops the feeds' watches.
  afterAll(() => abortAllDurableObjects())

  it('fills the index with a paged LIST, cells and columns included', async () => {
    const warmed = await index().warm('local', CONFIG_MAP, 60_000)
    expect(warmed).toMatchObject({ listed: true, lists: 1 })
    const page = await listIn(CONFIG_MAP, 'sort=metadata.name')
    expect(page.items.map((i) => i.id)).toEqual([`${NS}/cm-a`, `${NS}/cm-b`, `${NS}/cm-c`])
    expect(page.columns?.map((c) => c.name)).toEqual(['Name', 'Data', 'Age'])
    // The Table's cells: name and the number of data keys.
    expect(page.items.map((i) => cellsOf(i)?.slice(0, 2))).toEqual([['cm-a', 1], ['cm-b', 2], ['cm-c', 0]])
    expect(objectOf(page.items[0]!)).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { one: '1' }, metadata: { labels: { app: 'web', tier: 'front' } } })
    // What every Steve client excludes is not stored at all.
    expect((objectOf(page.items[0]!).metadata as Record<string, unknown>).managedFields).toBeUndefined()
    expect(Number(page.revision)).toBeGreaterThan(0)
    expect(await idsIn(CONFIG_MAP, 'filter=metadata.fields[1]>0&filter=metadata.labels[app]=web')).toEqual([`${NS}/cm-a`, `${NS}/cm-b`])
  }, 90_000)

  it('answers at its newest revision, and refuses a revision it has not reached with a 400', async () => {
    const now = await listIn(CONFIG_MAP)
    const older = await listIn(CONFIG_MAP, 'revision=1')
    expect(older.revision).toBe(now.revision)
    const ahead = await index().list('local', CONFIG_MAP, parseListQuery(new URLSearchParams(`revision=${Number(now.revision) + 1_000_000}`)), [NS])
    expect(ahead).toMatchObject({ kind: 'error', error: { type: 'error', status: 400, code: 'BadRequest', fieldName: 'revision' } })
  })

  it('follows creates, updates and deletes made in the apiserver through the watch, and logs them', async () => {
    const before = (await listIn(CONFIG_MAP)).revision
    await admin.create(CONFIG_MAP, configMap('cm-d', { app: 'cache' }, { k: 'v' }))
    await admin.patch(CONFIG_MAP, 'cm-a', { metadata: { labels: { app: 'api' } } }, { namespace: NS })
    await admin.delete(CONFIG_MAP, 'cm-c', { namespace: NS })
    await vi.waitFor(async () => {
      expect(await idsIn(CONFIG_MAP, 'sort=metadata.name')).toEqual([`${NS}/cm-a`, `${NS}/cm-b`, `${NS}/cm-d`])
      expect(await idsIn(CONFIG_MAP, 'filter=metadata.labels[app]=api')).toEqual([`${NS}/cm-a`])
    }, WAIT)
    const log = await index().changes('local', CONFIG_MAP, before)
    if (log.kind !== 'changes') throw new Error(JSON.stringify(log))
    const mine = log.changes.filter((c) => c.namespace === NS).map((c) => `${c.kind} ${c.id}`)
    expect(mine).toEqual([`create ${NS}/cm-d`, `change ${NS}/cm-a`, `remove ${NS}/cm-c`])
    expect(await index().changes('local', CONFIG_MAP, '1')).toMatchObject({ kind: 'too-old' })
  }, 90_000)

  it('answers queries as the reference evaluator does over the same objects', async () => {
    await Promise.all([
      admin.create(POD, pod('web-1', 'node-a', 'web')),
      admin.create(POD, pod('web-2', 'node-b', 'web')),
      admin.create(POD, pod('db-1', 'node-a', 'db')),
      admin.create(POD, pod('db-2', 'node-c', 'db')),
    ])
    await index().warm('local', POD, 60_000)
    // The index holds what the apiserver holds (objects as stored: redacted, without managedFields).
    const truth = await admin.list<KubeObject & Record<string, unknown>>(POD, { namespace: NS })
    await vi.waitFor(async () => {
      const held = (await listIn(POD)).items.map(objectOf)
      expect(held).toEqual(truth.items.map((o) => storable(POD, o)).sort((a, b) => String((a.metadata as { name: string }).name).localeCompare(String((b.metadata as { name: string }).name), 'en')))
    }, WAIT)
    const everything = await listIn(POD)
    const ref = { id: 'pod', pluralId: 'pods', apiPath: '/api/v1', resource: 'pods' }
    const formatted = everything.items.map((i) => {
      const cells = cellsOf(i)
      return formatResource(objectOf(i), { type: ref, v1Url: 'https://e/v1', kubeUrl: 'https://e', verbs: [], ...(cells ? { cells } : {}) })
    })
    const queries = [
      'sort=-metadata.name',
      'filter=spec.nodeName=node-a',
      'filter=metadata.labels[app]=db&sort=-metadata.name',
      'filter=metadata.name~db',
      'filter=spec.containers.0.image~web',
      'filter=metadata.fields[6]!=node-a&sort=metadata.fields[6],metadata.name',
      'sort=metadata.fields[2],-metadata.name&pagesize=2&page=2',
      'summary=metadata.state.name,spec.nodeName,metadata.fields[2]',
      'filter=metadata.state.name=pending',
    ]
    for (const text of queries) {
      const query = parseListQuery(new URLSearchParams(text))
      const reference = evaluateList(formatted as unknown as Record<string, unknown>[], query)
      const answer = await listIn(POD, text)
      expect({ ids: answer.items.map((i) => i.id), count: answer.count, summary: answer.summary, continue: answer.continue }, text).toEqual({
        ids: reference.items.map((i) => i.id),
        count: reference.count,
        summary: reference.summary,
        continue: reference.continue,
      })
    }
    expect(everything.count).toBe(4)
  }, 90_000)

  it('keeps no secret value: Secrets are stored with their keys only', async () => {
    const value = 'c3VwZXItc2VjcmV0LXZhbHVl'
    await admin.create(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: NS, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"password":"${value}"}}`, keep: 'me' } },
      type: 'Opaque',
      data: { password: value, user: 'YWRtaW4=' },
    } as KubeObject)
    await index().warm('local', SECRET, 60_000)
    await vi.waitFor(async () => expect(await idsIn(SECRET)).toEqual([`${NS}/creds`]), WAIT)
    const answer = await listIn(SECRET)
    expect(answer.redacted).toBe(true)
    expect(objectOf(answer.items[0]!)).toMatchObject({ type: 'Opaque', data: { password: '', user: '' }, metadata: { annotations: { keep: 'me' } } })
    expect(JSON.stringify(answer.items[0])).not.toContain(value)
    // Nowhere in the database: objects, indexed facts, the change log.
    const hits = await runInDurableObject(index(), (_instance, state) => {
      const like = `%${value}%`
      return [
        state.storage.sql.exec('SELECT count(*) AS n FROM objects WHERE object LIKE ? OR cells LIKE ?', like, like).one().n,
        state.storage.sql.exec('SELECT count(*) AS n FROM facts WHERE value LIKE ?', like).one().n,
        state.storage.sql.exec('SELECT count(*) AS n FROM changes WHERE object LIKE ?', like).one().n,
      ]
    })
    expect(hits).toEqual([0, 0, 0])
  }, 90_000)

  it('re-lists on 410 Gone after its revision was compacted away, removals included', async () => {
    await admin.create(EVENT, event('ev-1', 'First'))
    await admin.create(EVENT, event('ev-2', 'Second'))
    await index().warm('local', EVENT, 60_000)
    await vi.waitFor(async () => expect(await idsIn(EVENT, 'sort=metadata.name')).toEqual([`${NS}/ev-1`, `${NS}/ev-2`]), WAIT)
    const before = (await listIn(EVENT)).revision
    // The object goes away with its watches (as an evicted or restarted one does); meanwhile the cluster
    // changes and etcd compacts its history (events are not in the apiserver's watch cache, so a watch
    // from the stored revision gets 410).
    await abortAllDurableObjects()
    await admin.delete(EVENT, 'ev-1', { namespace: NS })
    await admin.create(EVENT, event('ev-3', 'Third'))
    const compacted = await env.MANAGEMENT.fetch('http://relay/etcd/compact', { method: 'POST' })
    expect(compacted.status).toBe(200)
    await vi.waitFor(async () => {
      expect(await idsIn(EVENT, 'sort=metadata.name')).toEqual([`${NS}/ev-2`, `${NS}/ev-3`])
      expect(await idsIn(EVENT, 'filter=reason=Third')).toEqual([`${NS}/ev-3`])
    }, WAIT)
    const status = await index().status('local')
    const events = status.types.find((t) => t.type === '/v1/events')
    // A re-list in this instance (a resumed watch would have listed nothing), after the apiserver's 410.
    expect(events).toMatchObject({ listed: true, lists: 1 })
    const log = await index().changes('local', EVENT, before)
    if (log.kind !== 'changes') throw new Error(JSON.stringify(log))
    expect(log.changes.filter((c) => c.namespace === NS).map((c) => `${c.kind} ${c.id}`).sort()).toEqual([`create ${NS}/ev-3`, `remove ${NS}/ev-1`])
  }, 120_000)

  it('reports its storage: bytes per object, per type and for the database', async () => {
    const status = await index().status('local')
    expect(status.objects).toBeGreaterThan(5)
    expect(status.bytesPerObject).toBeGreaterThan(100)
    expect(status.databaseBytes).toBeGreaterThan(status.objects * status.bytesPerObject * 0.5)
    expect(status.databaseBytesPerObject).toBeGreaterThan(0)
    for (const t of status.types) expect(t.bytes).toBeGreaterThan(t.objects * 100)
  })

  it('refuses a type with more objects than one index keeps, keeping none of them', async () => {
    const cache = new KubeClient(tunnelTransport(env.MANAGEMENT, 'local', CACHE_IDENTITY))
    const outcome = await runInDurableObject(env.CACHE.get(env.CACHE.idFromName('refusal')), async (_instance, state) => {
      const sql = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
      const row = sql.addType('/v1/configmaps', JSON.stringify(CONFIG_MAP), Date.now())
      const typeIndex = new TypeIndex(sql, row, CONFIG_MAP, Date.now)
      const feeder = new Feeder(typeIndex, () => cache, { ...FEEDER_DEFAULTS, pageSize: 2, maxObjects: 2 }).start()
      await feeder.listed(60_000)
      return { status: feeder.status(), refused: typeIndex.refused, stored: sql.count(row.id), listed: typeIndex.listed }
    })
    expect(outcome).toMatchObject({ status: { state: 'refused' }, stored: 0, listed: false })
    expect(outcome.refused).toMatch(/more than 2 objects/)
  }, 90_000)

  it('waits between watches that end at once with nothing, rather than looping through the tunnel', async () => {
    // The apiserver answers the LIST; every WATCH gets an empty 200 at once, as a misbehaving proxy might.
    const relay = tunnelTransport(env.MANAGEMENT, 'local', CACHE_IDENTITY)
    let watches = 0
    const emptyWatches = new KubeClient((req) => {
      if (!new URL(req.url).searchParams.has('watch')) return relay(req)
      watches++
      return Promise.resolve(new Response('', { status: 200 }))
    })
    const outcome = await runInDurableObject(env.CACHE.get(env.CACHE.idFromName('quick-watch')), async (_instance, state) => {
      const sql = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
      const row = sql.addType('/v1/configmaps', JSON.stringify(CONFIG_MAP), Date.now())
      const typeIndex = new TypeIndex(sql, row, CONFIG_MAP, Date.now)
      let waited!: () => void
      const backedOff = new Promise<void>((resolve) => (waited = resolve))
      // Without the wait this never resolves: the feeder would re-watch at once, forever.
      const feeder = new Feeder(typeIndex, () => emptyWatches, { ...FEEDER_DEFAULTS, retryDelayMs: () => (waited(), 60_000) }).start()
      await backedOff
      const status = feeder.status()
      feeder.stop()
      return status
    })
    expect(outcome.state).toBe('waiting')
    expect(watches).toBe(1)
  }, 90_000)

  it('backs off and says why while a cluster cannot be reached, answering `uncached`', async () => {
    const lost = env.CACHE.get(env.CACHE.idFromName('c-nowhere'))
    await lost.warm('c-nowhere', CONFIG_MAP, 0)
    await vi.waitFor(async () => {
      const answer = await lost.list('c-nowhere', CONFIG_MAP, all, 'all')
      expect(answer).toMatchObject({ kind: 'uncached', state: 'waiting' })
      expect(answer.kind === 'uncached' && answer.error).toMatch(/503|not connected/)
    }, WAIT)
  })
})
