import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, kubectlVia, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'
import { until, waitForOutput } from './support/streams.ts'

const TOKEN = 'token-ops:r'

describe('the tunnel under failure and load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-resilience-'))
  let a: DevCluster
  let b: DevCluster
  let edge: TestEdge
  let kc: string
  const agents: AgentProcess[] = []
  const agent = (token: string, kubeconfig: string) => {
    const p = startAgent(edge, token, kubeconfig)
    agents.push(p)
    return p
  }

  beforeAll(async () => {
    ;[a, b] = await Promise.all([devCluster('rs-a', { mode: 'lite' }), devCluster('rs-b', { mode: 'lite' })])
    await Promise.all([grantClusterAdmin(a, 'ops'), grantClusterAdmin(b, 'ops')])
    edge = await startEdge([{ token: TOKEN, identity: { user: 'ops-user', groups: ['ops'], extra: {} }, clusters: '*' }], {
      'agent-a': 'c-a',
      'agent-b': 'c-b',
    })
    kc = await edgeKubeconfig(dir, edge, 'c-a', TOKEN)
  })
  afterAll(async () => {
    await Promise.all(agents.map((p) => p.kill()))
    await edge?.dispose()
    await Promise.all([a?.[Symbol.asyncDispose](), b?.[Symbol.asyncDispose]()])
  })

  it('ends a watch promptly when the agent dies, and serves again once an agent is back', async () => {
    const first = agent('agent-a', a.kubeconfigPath)
    await waitConnected(kc)
    await a.kubectl(['create', 'configmap', 'seed'])
    const watch = spawn(await kubectlBin(), ['--kubeconfig', kc, 'get', 'configmaps', '-w', '-o', 'name'])
    let out = ''
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => watch.on('exit', r))
    try {
      await waitForOutput(watch, /configmap\/seed/)
      await first.kill('SIGKILL')
      // kubectl's watch ends (the edge fails the stream as soon as the agent's socket closes).
      expect(await exited).not.toBeNull()
    } finally {
      watch.kill()
    }
    const down = await edge.fetch(`/k8s/clusters/c-a/version`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect([502, 503]).toContain(down.status)
    expect(await down.json()).toMatchObject({ type: 'error', status: down.status })

    agent('agent-a', a.kubeconfigPath)
    await waitConnected(kc)
    expect((await kubectlVia(kc, ['get', 'ns', 'default', '-o', 'name'])).stdout.trim()).toBe('namespace/default')
    expect(out).toContain('configmap/seed')
  })

  it('keeps serving through a second agent replica when the one that served dies', async () => {
    const serving = agents.at(-1)!
    const extra = agent('agent-a', a.kubeconfigPath)
    await waitForOutput(extra.child, /connected to the edge/)
    await serving.kill('SIGKILL')
    // Only the second replica is left: every request must go through it, at once.
    for (let i = 0; i < 10; i++) {
      const r = await kubectlVia(kc, ['get', '--raw', '/version'])
      expect(r.code, r.stderr).toBe(0)
    }
  })

  it('does not let a slow reader on one stream delay small requests on another', async () => {
    for (let i = 0; i < 12; i++) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `slow-${i}`, namespace: 'default' }, data: { v: 'y'.repeat(900 * 1024) } }
      const r = await a.kubectl(['create', '-f', '-'], { input: JSON.stringify(cm) })
      expect(r.code, r.stderr).toBe(0)
    }
    // A client that starts a 10 MB list and then stops reading.
    const stalled = request(`${edge.url.origin}/k8s/clusters/c-a/api/v1/configmaps`, { ca: edge.caPem, headers: { authorization: `Bearer ${TOKEN}` } })
    const paused = new Promise<void>((resolve) =>
      stalled.on('response', (res) => {
        res.once('data', () => {
          res.pause()
          resolve()
        })
      }),
    )
    stalled.end()
    await paused
    // Meanwhile small requests on the same tunnel complete.
    for (let i = 0; i < 20; i++) {
      const r = await edge.fetch(`/k8s/clusters/c-a/version`, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(r.status).toBe(200)
      expect(((await r.json()) as { gitVersion: string }).gitVersion).toMatch(/^v1\./)
    }
    stalled.destroy()
  })

  it('puts an agent in the tunnel of the cluster its credential names, whatever apiserver it points at', async () => {
    // A's credential with B's kubeconfig: it joins c-a's tunnel, never c-b's.
    const stray = agent('agent-a', b.kubeconfigPath)
    // Connected, not merely started: otherwise the refusal below would hold for any agent still dialling.
    await until(() => stray.output().includes('connected to the edge'))
    const kcB = await edgeKubeconfig(dir, edge, 'c-b', TOKEN)
    const r = await kubectlVia(kcB, ['get', '--raw', '/version'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/503|ServiceUnavailable|not connected/i)
    await stray.kill('SIGKILL')
  })
})
