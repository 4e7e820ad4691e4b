// Steve's `/v1` for a downstream cluster, end to end: clients → edge in workerd → the cluster's list index
// (a Durable Object fed by LIST and WATCH through the tunnel, as system:drover:cache) → `drover agent` →
// a real kube-apiserver. Lists answered from the index with the query language, a user bound to one
// namespace seeing only that namespace in lists, counts and subscribe events, and a CRD created in the
// cluster showing up as a type. The Rancher dashboard's way of reading: paged, sorted lists plus
// `resource.changes` subscriptions.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent as UndiciAgent, request } from 'undici'
import WebSocket from 'ws'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downstreamRbac } from '../infra/management/rbac.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'
import { until } from './support/streams.ts'

const OPS = 'token-steve-ops:s3cret'
const TEAM = 'token-steve-team:s3cret'
const CLUSTER = 'c-steve'

/** Until `cond` resolves true, asking every 200 ms. */
async function eventually(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

type Obj = Record<string, unknown>
interface Collection {
  count?: number
  pages?: number
  revision?: string
  data: { id: string; metadata: { name: string; namespace?: string; fields?: unknown[]; state?: { name: string } } }[]
}
interface Event {
  name: string
  revision?: string
  data?: { id?: string; error?: string }
}

describe('/k8s/clusters/<id>/v1 through a real agent and apiserver', () => {
  let c: DevCluster
  let edge: TestEdge
  let agent: AgentProcess
  let dispatcher: UndiciAgent

  const v1 = async <T = Collection>(token: string, path: string): Promise<{ status: number; body: T; source: string; headers: Record<string, unknown> }> => {
    const r = await request(`${edge.url.origin}/k8s/clusters/${CLUSTER}/v1${path}`, { dispatcher, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
    return { status: r.statusCode, body: (await r.body.json()) as T, source: String(r.headers['x-drover-list'] ?? ''), headers: r.headers }
  }
  const apply = async (objects: Obj[]) => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
    if (r.code !== 0) throw new Error(r.stderr)
  }
  const cm = (ns: string, name: string, app: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app } }, data: { app } })

  const subscribe = async (token: string) => {
    const ws = new WebSocket(`${edge.url.origin.replace(/^https/, 'wss')}/k8s/clusters/${CLUSTER}/v1/subscribe`, { ca: edge.caPem, headers: { authorization: `Bearer ${token}` } })
    const events: Event[] = []
    ws.on('message', (d) => events.push(JSON.parse(String(d)) as Event))
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
    return { ws, events }
  }

  beforeAll(async () => {
    c = await devCluster('steve-ds', { mode: 'lite' })
    await grantClusterAdmin(c, 'ops')
    // What the import manifest grants in every cluster: the cache reads everything as system:drover:cache.
    await apply(downstreamRbac() as unknown as Obj[])
    await apply([
      ...['team-a', 'team-b'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'team-user-reads', namespace: 'team-a' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'team-user' }],
      },
    ])
    await apply([cm('team-a', 'a-web-1', 'web'), cm('team-a', 'a-db-1', 'db'), cm('team-a', 'a-web-2', 'web'), cm('team-b', 'b-web-1', 'web'), cm('team-b', 'b-db-1', 'db')])
    edge = await startEdge(
      [
        { token: OPS, identity: { user: 'ops-user', groups: ['ops'], extra: {} }, clusters: '*' },
        { token: TEAM, identity: { user: 'team-user', groups: [], extra: {} }, clusters: '*' },
      ],
      { 'agent-steve': CLUSTER },
    )
    dispatcher = new UndiciAgent({ connect: { ca: edge.caPem } })
    agent = startAgent(edge, 'agent-steve', c.kubeconfigPath)
    await waitConnected(await edgeKubeconfig(mkdtempSync(join(tmpdir(), 'drover-steve-')), edge, CLUSTER, OPS))
    // The first list starts the index's feed; later ones come from it.
    await eventually(async () => (await v1(OPS, '/configmaps?pagesize=1')).source === 'index', 60_000)
  }, 300_000)
  afterAll(async () => {
    await dispatcher?.close()
    await agent?.[Symbol.asyncDispose]()
    await edge?.dispose()
    await c?.[Symbol.asyncDispose]()
  })

  it('answers paged, sorted, filtered lists from the index, with table cells and state', async () => {
    const page = await v1(OPS, '/configmaps?filter=metadata.labels[app]=web&sort=-metadata.name&pagesize=2&exclude=metadata.managedFields')
    expect(page.status).toBe(200)
    expect(page.source).toBe('index')
    expect(page.body.count).toBe(3)
    expect(page.body.pages).toBe(2)
    expect(page.body.data.map((d) => d.id)).toEqual(['team-b/b-web-1', 'team-a/a-web-2'])
    expect(page.body.data[0]!.metadata.fields?.[0]).toBe('b-web-1')
    expect(page.body.data[0]!.metadata.state?.name).toBe('active')
    const second = await v1(OPS, '/configmaps?filter=metadata.labels[app]=web&sort=-metadata.name&pagesize=2&page=2')
    expect(second.body.data.map((d) => d.id)).toEqual(['team-a/a-web-1'])
  })

  it('refuses a field the type does not have with a 400 naming it, and takes the ones it has', async () => {
    const misspelt = await v1<{ type: string; status: number; message: string }>(OPS, '/configmaps?filter=metdata.name=a-web-1')
    expect(misspelt.status).toBe(400)
    expect(misspelt.body).toMatchObject({ type: 'error', status: 400, message: expect.stringContaining("unknown field 'metdata.name'") })
    expect((await v1(OPS, '/pods?sort=spec.nodeNmae')).status).toBe(400)
    const byData = await v1(OPS, '/configmaps?filter=data.app=db&sort=metadata.name')
    expect(byData.status).toBe(200)
    expect(byData.body.data.map((d) => d.id)).toEqual(['team-a/a-db-1', 'team-b/b-db-1'])
  })

  it('shows a user bound in one namespace exactly that namespace, in lists and counts', async () => {
    const all = await v1(TEAM, '/configmaps?filter=metadata.name~-')
    expect(all.status).toBe(200)
    expect(all.body.data.map((d) => d.id).sort()).toEqual(['team-a/a-db-1', 'team-a/a-web-1', 'team-a/a-web-2'])
    const other = await v1(TEAM, '/configmaps/team-b')
    expect(other.body.data).toEqual([])
    const counts = await v1<{ data: { counts: Record<string, { summary: { count: number }; namespaces?: Record<string, { count: number }> }> }[] }>(TEAM, '/counts')
    expect(counts.body.data[0]!.counts.configmap).toEqual({ summary: { count: 3 }, namespaces: { 'team-a': { count: 3 } } })
    // Configmaps are held by the index, so they were counted there, with the same caller's cut.
    expect(counts.headers).toMatchObject({ 'x-drover-counts': expect.stringMatching(/^index=[1-9]/) })
  })

  it('sends a user only the events of the namespace they may watch', async () => {
    const s = await subscribe(TEAM)
    s.ws.send(JSON.stringify({ resourceType: 'configmap' }))
    await until(() => s.events.some((e) => e.name === 'resource.start'), 30_000)
    await apply([cm('team-b', 'b-later', 'web')])
    await apply([cm('team-a', 'a-later', 'web')])
    await until(() => s.events.some((e) => e.data?.id === 'team-a/a-later'), 30_000)
    expect(s.events.filter((e) => e.name === 'resource.create').map((e) => e.data?.id)).toEqual(['team-a/a-later'])
    s.ws.close()
  })

  it('tells a resource.changes subscriber that something changed, with the revision to re-list from', async () => {
    const s = await subscribe(OPS)
    s.ws.send(JSON.stringify({ resourceType: 'configmap', mode: 'resource.changes', debounceMs: 500 }))
    await until(() => s.events.some((e) => e.name === 'resource.start'), 30_000)
    await apply([cm('team-b', 'b-changes', 'db')])
    await until(() => s.events.some((e) => e.name === 'resource.changes'), 30_000)
    const notice = s.events.find((e) => e.name === 'resource.changes')!
    // The re-list the dashboard then makes holds the change.
    const relist = await v1(OPS, '/configmaps/team-b?filter=metadata.name=b-changes')
    expect(BigInt(relist.body.revision!)).toBeGreaterThanOrEqual(BigInt(notice.revision!))
    expect(relist.body.data.map((d) => d.id)).toEqual(['team-b/b-changes'])
    s.ws.close()
  })

  it('serves a CRD created in the cluster as a type once discovery refreshes', async () => {
    await apply([
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
              additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
            },
          ],
        },
      },
    ])
    const established = await c.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=60s'])
    expect(established.code, established.stderr).toBe(0)
    await apply([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'team-a' }, spec: { size: 3 } }])
    // Discovery is kept for DISCOVERY_CACHE_MS (30 s): the new type appears within that bound.
    await eventually(async () => (await v1(OPS, '/example.com.widgets')).status === 200, 60_000)
    const widgets = await v1(OPS, '/example.com.widgets')
    expect(widgets.body.data.map((d) => [d.id, d.metadata.fields?.[1]])).toEqual([['team-a/w1', 3]])
  }, 120_000)
})
