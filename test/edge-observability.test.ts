// Issue 16: what an operator of the edge sees. A real edge in workerd, a real agent and a real dev
// cluster; kubectl through the edge. The audit log (workers/audit/) lands in the file the local edge
// splits audit lines into (as `drover start` does into .drover/logs/audit.log).
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, kubectlVia, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'
import { until } from './support/streams.ts'

const TOKEN = 'token-obsrv:user-secret-token-value'
const CLUSTER = 'c-obs'
const SECRET = 'pa55-w0rd-never-in-a-log'
const METRICS_TOKEN = 'metrics-scrape-token-0123456789'
const POLICY = { enabled: true, level: 3, filters: [{ action: 'deny', requestURI: '^/k8s/clusters/[^/]+/version' }] }

describe('the edge for its operator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-observability-'))
  const auditFile = join(dir, 'audit.log')
  let cluster: DevCluster
  let edge: TestEdge
  let agent: AgentProcess
  let kc: string
  const lines = () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [])

  beforeAll(async () => {
    cluster = await devCluster('observability', { mode: 'lite' })
    await grantClusterAdmin(cluster, 'ops')
    edge = await startEdge([{ token: TOKEN, identity: { user: 'ops-user', groups: ['ops'], extra: {} }, clusters: '*' }], { 'agent-obs-token': CLUSTER }, { DROVER_AUDIT_POLICY: JSON.stringify(POLICY), DROVER_METRICS_TOKEN: METRICS_TOKEN }, { auditLog: auditFile })
    agent = startAgent(edge, 'agent-obs-token', cluster.kubeconfigPath)
    kc = await edgeKubeconfig(dir, edge, CLUSTER, TOKEN)
    await waitConnected(kc)
  }, 300_000)

  /** `/metrics` parsed: `name{labels}` → value. */
  const scrape = async (): Promise<Map<string, number>> => {
    const res = await edge.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const out = new Map<string, number>()
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line)
      if (m) out.set(m[1]!, Number(m[2]))
    }
    return out
  }

  afterAll(async () => {
    await agent?.kill()
    await edge?.dispose()
    await cluster?.[Symbol.asyncDispose]()
  })

  it('writes one audit line per proxied request, with identity, cluster, verb, resource, status, latency and request id', async () => {
    // kubectl's own create speaks protobuf, which the log leaves out; the raw requests are JSON both ways.
    const typed = await kubectlVia(kc, ['create', 'secret', 'generic', 'db-typed', `--from-literal=password=${SECRET}`])
    expect(typed.stderr).toBe('')
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: SECRET } }
    const created = await kubectlVia(kc, ['create', '--raw', '/api/v1/namespaces/default/secrets', '-f', '-'], { input: JSON.stringify(secret) })
    expect(created.stderr).toBe('')
    const read = await kubectlVia(kc, ['get', '--raw', '/api/v1/namespaces/default/secrets/db'])
    expect(read.stdout).toContain(Buffer.from(SECRET).toString('base64'))
    await until(() => lines().some((l) => l.verb === 'get' && l.name === 'db'))
    const create = lines().find((l) => l.verb === 'create' && l.resource === 'secrets' && l.requestURI === '/k8s/clusters/c-obs/api/v1/namespaces/default/secrets')
    expect(create).toMatchObject({
      kind: 'drover.audit', user: { id: 'ops-user', groups: ['ops'] }, cluster: CLUSTER, namespace: 'default', method: 'POST', status: 201,
      requestHeaders: { authorization: '[redacted]' },
      requestBody: { kind: 'Secret', stringData: '[redacted]' },
      responseBody: { kind: 'Secret', data: '[redacted]' },
    })
    expect(create!.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(create!.latencyMs).toBeGreaterThanOrEqual(0)
    expect(lines().find((l) => l.verb === 'get' && l.name === 'db')).toMatchObject({ status: 200, responseBody: { data: '[redacted]' } })
    expect(lines().find((l) => l.verb === 'create' && String(l.requestURI).includes('fieldManager=kubectl-create'))).toMatchObject({ status: 201, requestBody: expect.stringMatching(/protobuf body not logged/) })
  })

  it('holds no secret, token or password, and no line for a URI the policy excludes', async () => {
    const text = readFileSync(auditFile, 'utf8')
    for (const s of [SECRET, Buffer.from(SECRET).toString('base64'), TOKEN, 'user-secret-token-value', 'agent-obs-token']) expect(text).not.toContain(s)
    // waitConnected asked /version through the edge: denied by the filter.
    expect(lines().some((l) => String(l.requestURI).endsWith('/version'))).toBe(false)
    expect(lines().length).toBeGreaterThanOrEqual(2)
  })

  it('reports the proxied requests, the connected agent and the tunnel bytes at /metrics', async () => {
    const before = await scrape()
    const ok = (m: Map<string, number>) => m.get('drover_edge_requests_total{route="k8s-proxy",status="200"}') ?? 0
    for (let i = 0; i < 3; i++) expect((await kubectlVia(kc, ['get', 'configmaps', '-n', 'default'])).code).toBe(0)
    const missing = await kubectlVia(kc, ['get', 'configmap', 'not-there'])
    expect(missing.code).not.toBe(0)
    const m = await scrape()
    expect(ok(m) - ok(before)).toBeGreaterThanOrEqual(3)
    expect(m.get('drover_edge_requests_total{route="k8s-proxy",status="404"}')).toBeGreaterThanOrEqual(1)
    expect(m.get('drover_edge_request_duration_seconds_count{route="k8s-proxy",status="200"}')).toBe(ok(m))
    expect(m.get('drover_edge_tunnel_agents_connected')).toBe(1)
    expect(m.get(`drover_edge_tunnel_sessions{cluster="${CLUSTER}"}`)).toBe(1)
    expect(m.get('drover_edge_tunnel_bytes_total{direction="in"}')).toBeGreaterThan(0)
    expect(m.get('drover_edge_tunnel_bytes_total{direction="out"}')).toBeGreaterThan(0)
    expect(m.has('drover_edge_tunnel_streams_open')).toBe(true)
  })

  it('counts a refused credential as an auth failure', async () => {
    const before = (await scrape()).get('drover_edge_auth_failures_total{route="k8s-proxy"}') ?? 0
    const res = await edge.fetch(`/k8s/clusters/${CLUSTER}/api/v1/namespaces`, { headers: { authorization: 'Bearer token-wrong:nope' } })
    expect(res.status).toBe(401)
    expect((await scrape()).get('drover_edge_auth_failures_total{route="k8s-proxy"}')).toBe(before + 1)
  })

  it('serves /metrics only to the bearer of the metrics token', async () => {
    expect((await edge.fetch('/metrics')).status).toBe(401)
    expect((await edge.fetch('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401)
  })
})
