import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import {
  edgeKubeconfig,
  grantClusterAdmin,
  kubectlVia,
  startAgent,
  startEdge,
  waitConnected,
  type AgentProcess,
  type TestEdge,
} from './support/proxy-fixture.ts'
import { until } from './support/streams.ts'

// Real kubectl → edge in workerd → ClusterTunnel object → `drover agent` process → real kube-apiserver.
describe('kubectl through the edge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-proxy-'))
  let a: DevCluster
  let b: DevCluster
  let edge: TestEdge
  let agents: AgentProcess[] = []
  let opsA: string
  let opsB: string
  let scoped: string

  beforeAll(async () => {
    ;[a, b] = await Promise.all([devCluster('px-a', { mode: 'lite' }), devCluster('px-b', { mode: 'lite' })])
    await Promise.all([grantClusterAdmin(a, 'ops'), grantClusterAdmin(b, 'ops')])
    edge = await startEdge(
      [
        { token: 'token-ops:s3cret', identity: { user: 'ops-user', groups: ['ops', 'team:a,b'], extra: { scope: ['x y'] } }, clusters: '*' },
        { token: 'token-scoped:only-b', identity: { user: 'scoped', groups: ['ops'], extra: {} }, clusters: ['c-b'] },
      ],
      { 'agent-a': 'c-a', 'agent-b': 'c-b' },
    )
    agents = [startAgent(edge, 'agent-a', a.kubeconfigPath), startAgent(edge, 'agent-b', b.kubeconfigPath)]
    opsA = await edgeKubeconfig(dir, edge, 'c-a', 'token-ops:s3cret')
    opsB = await edgeKubeconfig(dir, edge, 'c-b', 'token-ops:s3cret')
    scoped = await edgeKubeconfig(dir, edge, 'c-a', 'token-scoped:only-b')
    await Promise.all([waitConnected(opsA), waitConnected(opsB)])
  })
  afterAll(async () => {
    await Promise.all(agents.map((p) => p[Symbol.asyncDispose]()))
    await edge?.dispose()
    await Promise.all([a?.[Symbol.asyncDispose](), b?.[Symbol.asyncDispose]()])
  })

  it('gets, applies, patches and deletes, each cluster reaching its own apiserver', async () => {
    const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-edge', namespace: 'default' }, data: { k: 'v1' } })
    expect((await kubectlVia(opsA, ['apply', '-f', '-'], { input: cm })).stdout).toContain('configmap/via-edge created')
    const patched = await kubectlVia(opsA, ['patch', 'configmap', 'via-edge', '--type=merge', '-p', '{"data":{"k":"v2"}}'])
    expect(patched.code, patched.stderr).toBe(0)
    // Direct to A: the write landed there, and not in B.
    expect((await a.kubectl(['get', 'configmap', 'via-edge', '-o', 'jsonpath={.data.k}'])).stdout).toBe('v2')
    expect((await kubectlVia(opsB, ['get', 'configmap', 'via-edge'])).stderr).toMatch(/NotFound/)
    const ns = await kubectlVia(opsA, ['get', 'ns', '-o', 'name'])
    expect(ns.stdout).toContain('namespace/kube-system')
    expect((await kubectlVia(opsA, ['delete', 'configmap', 'via-edge'])).code).toBe(0)
    expect((await a.kubectl(['get', 'configmap', 'via-edge'])).stderr).toMatch(/NotFound/)
  })

  it('streams a watch: kubectl get -w receives events as they happen', async () => {
    const watch = spawn(await kubectlBin(), ['--kubeconfig', opsA, 'get', 'configmaps', '-w', '--output-watch-events'])
    let out = ''
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      for (const name of ['w-1', 'w-2']) await a.kubectl(['create', 'configmap', name])
      await until(() => /^ADDED\s+w-1\s/m.test(out) && /^ADDED\s+w-2\s/m.test(out)).catch((e: Error) => {
        throw new Error(`${e.message}; kubectl printed: ${out}`)
      })
      await a.kubectl(['delete', 'configmap', 'w-1'])
      await until(() => /^DELETED\s+w-1\s/m.test(out))
    } finally {
      watch.kill()
    }
  })

  it('carries a list of tens of MB intact', async () => {
    const value = 'x'.repeat(900 * 1024)
    for (let i = 0; i < 30; i++) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: 'default' }, data: { v: `${i}${value}` } }
      const r = await a.kubectl(['create', '-f', '-'], { input: JSON.stringify(cm) })
      expect(r.code, r.stderr).toBe(0)
    }
    const direct = await a.kubectl(['get', '--raw', '/api/v1/namespaces/default/configmaps?labelSelector!=none'])
    const proxied = await kubectlVia(opsA, ['get', '--raw', '/api/v1/namespaces/default/configmaps?labelSelector!=none'])
    expect(proxied.code, proxied.stderr).toBe(0)
    expect(proxied.stdout.length).toBeGreaterThan(25 * 1024 * 1024)
    const items = (s: string) => (JSON.parse(s) as { items: { metadata: { name: string; resourceVersion: string }; data?: { v?: string } }[] }).items
    const p = items(proxied.stdout)
    expect(p.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}:${i.data?.v?.length ?? 0}`)).toEqual(
      items(direct.stdout).map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}:${i.data?.v?.length ?? 0}`),
    )
    expect(p.find((i) => i.metadata.name === 'big-29')?.data?.v).toBe(`29${value}`)
  })

  it('shows the authenticated user and each group, whatever the client claims', async () => {
    const who = await kubectlVia(opsA, ['auth', 'whoami', '-o', 'json'])
    expect(who.code, who.stderr).toBe(0)
    const info = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups: string[]; extra?: Record<string, string[]> } } }).status
      .userInfo
    expect(info.username).toBe('ops-user')
    expect(info.groups).toEqual(expect.arrayContaining(['ops', 'team:a,b', 'system:authenticated']))
    expect(info.extra).toEqual({ scope: ['x y'] })

    // kubectl --as/--as-group send Impersonate-* headers: the edge drops them, so nothing changes.
    const forged = await kubectlVia(opsA, ['auth', 'whoami', '-o', 'json', '--as=admin', '--as-group=system:masters'])
    const forgedInfo = (JSON.parse(forged.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo
    expect(forgedInfo.username).toBe('ops-user')
    expect(forgedInfo.groups).not.toContain('system:masters')
  })

  it('refuses a missing credential, a wrong one, and a cluster outside the credential’s scope, with Rancher error bodies', async () => {
    const res = await edge.fetch(`/k8s/clusters/c-a/api/v1/namespaces`)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ type: 'error', status: 401, code: 'Unauthorized' })
    const wrong = await edge.fetch(`/k8s/clusters/c-a/version`, { headers: { authorization: 'Bearer token-ops:wrong' } })
    expect(wrong.status).toBe(401)
    const scopedRes = await kubectlVia(scoped, ['get', '--raw', '/version'])
    expect(scopedRes.code).not.toBe(0)
    expect(scopedRes.stderr).toMatch(/Forbidden|403/)
    const inQuery = await edge.fetch(`/k8s/clusters/c-a/version?token=token-ops:s3cret`)
    expect(inQuery.status).toBe(400)
  })

  it('answers a cluster with no agent with 503, and refuses an agent without a valid token', async () => {
    const res = await edge.fetch(`/k8s/clusters/c-none/version`, { headers: { authorization: 'Bearer token-ops:s3cret' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ type: 'error', status: 503, code: 'ClusterUnavailable' })
    expect(await upgradeStatus(edge, 'agent-c')).toBe(401)
    expect(await upgradeStatus(edge, undefined)).toBe(401)
    expect(await upgradeStatus(edge, 'agent-a', 'some.other.protocol')).toBe(400)
  })
})

/** The status an agent's tunnel upgrade gets (101 when accepted). */
function upgradeStatus(edge: TestEdge, token: string | undefined, protocol = 'drover.tunnel.v1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(new URL('/v3/connect', edge.url.href.replace(/^http/, 'ws')), protocol, {
      ca: edge.caPem,
      headers: token ? { 'x-api-tunnel-token': token } : {},
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)))
  })
}
