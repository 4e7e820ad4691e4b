import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TunnelSession } from '../protocol/tunnel/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { runAgent, type RunningAgent } from '../agent/dialer.ts'
import { agentRegistry } from '../agent/metrics.ts'
import { FakeEdge, TOKEN } from './support/agent-edge.ts'
import { silentLogger } from './support/logger.ts'
import { until } from './support/streams.ts'
import { ADMIN, getHead, readJson, readText, streamOf } from './support/tunnel-requests.ts'

// The whole agent as deployed: a real edge-side TunnelSession over a real WebSocket to runAgent, which
// serves the streams against a real kube-apiserver.
describe('agent end to end through the tunnel', () => {
  let cluster: DevCluster
  let edge: FakeEdge
  let agent: RunningAgent
  let session: TunnelSession

  beforeAll(async () => {
    cluster = await devCluster('agent-tun', { mode: 'lite' })
    edge = new FakeEdge()
    agent = runAgent({ server: await edge.url(), token: TOKEN, kubeconfig: cluster.kubeconfigPath, logger: silentLogger, backoff: { baseMs: 10, maxMs: 100 } })
    await until(() => edge.hellos.length === 1)
    session = edge.sessions[0]!
  })
  afterAll(async () => {
    await agent?.stop()
    await edge?.close()
    await cluster?.[Symbol.asyncDispose]()
  })

  it('answers GET /version and reports facts', async () => {
    const res = await session.fetch(getHead('/version'), null)
    expect(res.head.status).toBe(200)
    const { gitVersion } = await readJson<{ gitVersion: string }>(res.body)
    // The apiserver's readiness comes with the first facts or right after them (its probe runs on its own).
    await until(() => edge.facts.some((f) => f.apiServer))
    // A lite cluster has no nodes: the sums are zero, not missing.
    expect(edge.facts.at(-1)).toEqual({
      kubernetesVersion: gitVersion,
      nodeCount: 0,
      capacity: { cpu: '0', memory: '0', pods: '0' },
      allocatable: { cpu: '0', memory: '0', pods: '0' },
      apiServer: { ready: true },
    })
  })

  it('counts tunnel messages, frames and bytes the way the edge sees them, and serves them as metrics', async () => {
    const res = await session.fetch(getHead('/version'), null)
    await readText(res.body)
    await until(() => session.streamCount === 0 && agent.streams === 0)
    // Once nothing is in flight (pings and facts come and go), both ends count the same.
    const agrees = () => {
      const [mine, theirs] = [agent.counters(), session.counters]
      return (
        mine.messagesSent === theirs.messagesReceived &&
        mine.framesSent === theirs.framesReceived &&
        mine.bytesSent === theirs.bytesReceived &&
        mine.messagesReceived === theirs.messagesSent &&
        mine.framesReceived === theirs.framesSent
      )
    }
    await until(agrees)
    const mine = agent.counters()
    expect(mine.framesSent).toBeGreaterThanOrEqual(3)
    const text = await agentRegistry(agent).metrics()
    expect(text).toContain('drover_agent_tunnel_connected 1')
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1])
    // At least what was counted just before (a ping may have gone out since).
    expect(value('drover_agent_tunnel_frames_total{direction="sent"}')).toBeGreaterThanOrEqual(mine.framesSent)
    expect(value('drover_agent_tunnel_messages_total{direction="received"}')).toBeGreaterThanOrEqual(mine.messagesReceived)
    expect(text).toMatch(/^drover_agent_process_cpu_seconds_total /m)
  })

  it('runs requests as the identity in the head, whatever headers the head carries', async () => {
    const res = await session.fetch(
      {
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        headers: [
          ['Content-Type', 'application/json'],
          ['Impersonate-User', 'system:admin'],
          ['Impersonate-Group', 'system:masters'],
          ['Authorization', 'Bearer x'],
        ],
        identity: { user: 'bob', groups: ['team,a', 'team b'], extra: {} },
      },
      streamOf(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })),
    )
    expect(res.head.status).toBe(201)
    const { userInfo } = (await readJson<{ status: { userInfo: { username: string; groups: string[] } } }>(res.body)).status
    expect(userInfo.username).toBe('bob')
    expect(userInfo.groups).toEqual(['team,a', 'team b', 'system:authenticated'])
  })

  it('streams a list larger than the flow-control window', async () => {
    const big = 'x'.repeat(700 * 1024)
    for (const name of ['big-1', 'big-2', 'big-3']) {
      const r = await session.fetch(
        { method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: [['Content-Type', 'application/json']], identity: ADMIN },
        streamOf(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { big } })),
      )
      expect(r.head.status).toBe(201)
      await readText(r.body)
    }
    const list = await session.fetch(getHead('/api/v1/namespaces/default/configmaps', ADMIN, [['Accept', 'application/json']]), null)
    const items = (await readJson<{ items: { metadata: { name: string }; data?: { big?: string } }[] }>(list.body)).items
    expect(items.filter((i) => i.data?.big === big).map((i) => i.metadata.name).sort()).toEqual(['big-1', 'big-2', 'big-3'])
  })

  it('relays a refused exec upgrade with the apiserver status and body', async () => {
    const res = await session.upgrade({ ...getHead('/api/v1/namespaces/default/pods/ghost/exec?command=ls&stdout=true'), upgrade: { protocols: ['v5.channel.k8s.io'] } })
    expect(res.head.status).toBe(404)
    expect(res.socket).toBeNull()
    expect(await readText(res.body)).toContain('pods \\"ghost\\" not found')
  })

  it('fails an in-flight watch at once when the tunnel drops, then reconnects', async () => {
    const watch = await session.fetch(getHead('/api/v1/namespaces/default/configmaps?watch=1'), null)
    expect(watch.head.status).toBe(200)
    const reader = watch.body.getReader()
    await reader.read()
    const started = Date.now()
    edge.sockets[0]!.terminate()
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) throw new Error('ended without an error')
      })(),
    ).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2_000)
    await until(() => edge.hellos.length === 2)
    const again = await edge.sessions[1]!.fetch(getHead('/version'), null)
    expect(again.head.status).toBe(200)
    await readText(again.body)
    expect(agent.connected).toBe(true)
  })
})
