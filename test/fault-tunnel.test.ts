// Issue 16, faults survived: the real stack — the edge in workerd, the real `local` agent on a real
// management cluster, and cluster c-fault's real agent dialling the edge through Toxiproxy — with faults
// injected on that one link. One stack for every case; each case leaves the link clean for the next.
// Bounds are the ones the code names (the agent's ping timeout, the status bound) plus generous slack.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEdgeSecrets, type EdgeSecrets } from '../infra/edge/secrets.ts'
import { downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { STATUS_BOUND_MS } from '../objects/tunnel/cluster-status.ts'
import { defaultLimits } from '../protocol/tunnel/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { grantClusterAdmin, startAgent, startEdge, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'
import { ToxiproxyServer, type ToxiProxy } from './support/toxiproxy.ts'

const CLUSTER = 'c-fault'
const AGENT_TOKEN = 'c-fault-agent-token-0123456789'
const USER = 'token-ops:r'
const CONNECTED_LOG = /connected to the edge/g
/** The agent's reconnect backoff is capped at 30 s (agent/dialer.ts): one full wait plus slack. */
const RECONNECT_BOUND_MS = 60_000

describe('the tunnel survives faults on the agent link', () => {
  let mc: DevCluster
  let edge: TestEdge
  let secrets: EdgeSecrets
  let toxi: ToxiproxyServer
  let link: ToxiProxy
  let local: AgentProcess | undefined
  let agent: AgentProcess | undefined

  const until = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> => {
    const t0 = Date.now()
    while (!(await cond())) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; agent output:\n${agent?.output().slice(-3000)}`)
      await sleep(200)
    }
    return Date.now() - t0
  }
  const connected = async (): Promise<string> => (await mc.kubectl(['get', 'clusters.management.cattle.io', CLUSTER, '-o', 'jsonpath={.status.connected}'])).stdout
  const connects = () => agent!.output().match(CONNECTED_LOG)?.length ?? 0
  const get = (path: string) => edge.fetch(`/k8s/clusters/${CLUSTER}${path}`, { headers: { authorization: `Bearer ${USER}` } })
  const serving = async () => {
    try {
      return (await get('/version')).status === 200
    } catch {
      return false
    }
  }

  beforeAll(async () => {
    ;[mc, toxi, secrets] = await Promise.all([devCluster('faults', { mode: 'lite' }), ToxiproxyServer.start(), generateEdgeSecrets()])
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system' } }, ...managementRbac(), ...downstreamRbac()]
    const applied = await mc.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
    if (applied.code !== 0) throw new Error(applied.stderr)
    const created = await mc.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: CLUSTER }, spec: {} }) })
    if (created.code !== 0) throw new Error(created.stderr)
    await grantClusterAdmin(mc, 'ops')
    edge = await startEdge([{ token: USER, identity: { user: 'ops-user', groups: ['ops'], extra: {} }, clusters: '*' }], { [AGENT_TOKEN]: CLUSTER }, { ...secrets })
    local = startAgent(edge, secrets.DROVER_LOCAL_AGENT_TOKEN, mc.kubeconfigPath)
    link = await toxi.proxy('edge', `127.0.0.1:${edge.url.port}`)
    // c-fault's agent serves from the management cluster's apiserver too: only its tunnel is under test.
    // It dials the proxy; the edge's certificate names 127.0.0.1, whatever the port.
    agent = startAgent({ url: new URL(`https://${link.listen}`), caFile: edge.caFile } as TestEdge, AGENT_TOKEN, mc.kubeconfigPath)
    await until('c-fault connected', async () => (await connected()) === 'true' && (await serving()), 60_000)
  }, 600_000)

  afterAll(async () => {
    await agent?.kill()
    await local?.kill()
    await toxi?.[Symbol.asyncDispose]()
    await edge?.dispose()
    await mc?.[Symbol.asyncDispose]()
  })

  it('fails the request in flight when the agent socket is reset, then reconnects and serves', async () => {
    const before = connects()
    // Every byte the agent sends from now on resets its connection: the answer to this very request.
    const reset = await link.add({ type: 'reset_peer', attributes: { timeout: 0 } }, 'upstream')
    const res = await get('/api/v1/namespaces')
    await res.text()
    expect([502, 503]).toContain(res.status)
    await link.remove(reset)
    await until('the agent to reconnect', () => connects() > before, RECONNECT_BOUND_MS)
    await until('c-fault serving again', serving, 30_000)
    const ns = await get('/api/v1/namespaces/default')
    expect(ns.status).toBe(200)
    expect(((await ns.json()) as { metadata: { name: string } }).metadata.name).toBe('default')
  })

  it('detects a blackholed (half-open) link within the ping window, says disconnected, and reconnects once it clears', async () => {
    await until('c-fault connected', async () => (await connected()) === 'true', STATUS_BOUND_MS + 5_000)
    const before = connects()
    // Nothing passes either way and nothing is closed: only pings can tell.
    const holes = await link.addBoth({ type: 'timeout', attributes: { timeout: 0 } })
    const window = defaultLimits.pingTimeoutMs + defaultLimits.pingIntervalMs
    const took = await until('c-fault disconnected', async () => (await connected()) === 'false', window + STATUS_BOUND_MS + 10_000)
    console.log(`blackholed link: c-fault disconnected after ${took} ms (ping timeout ${defaultLimits.pingTimeoutMs} ms)`)
    expect(agent!.output()).toMatch(/PING_TIMEOUT/)
    // While the link is down the edge answers at once that the cluster is not connected.
    const down = await get('/version')
    expect(down.status).toBe(503)
    await down.text()
    await link.remove(...holes)
    await until('the agent to reconnect', () => connects() > before, RECONNECT_BOUND_MS)
    await until('c-fault connected again', async () => (await connected()) === 'true' && (await serving()), STATUS_BOUND_MS + 10_000)
  })

  it('keeps the tunnel through 1.5 s ± 0.8 s of latency each way: no false disconnect, slow requests succeed', async () => {
    const before = connects()
    const outputAt = agent!.output().length
    const slow = await link.addBoth({ type: 'latency', attributes: { latency: 1_500, jitter: 800 } })
    try {
      // Longer than the ping timeout plus an interval: a keepalive that mistook latency for death would show.
      const end = Date.now() + defaultLimits.pingTimeoutMs + defaultLimits.pingIntervalMs + 5_000
      let requests = 0
      while (Date.now() < end) {
        const res = await get('/api/v1/namespaces/default')
        expect(res.status).toBe(200)
        await res.json()
        requests++
        expect(await connected()).toBe('true')
      }
      expect(requests).toBeGreaterThan(3)
      expect(connects()).toBe(before)
      expect(agent!.output().slice(outputAt)).not.toMatch(/PING_TIMEOUT|disconnected from the edge/)
    } finally {
      await link.remove(...slow)
    }
  })
})
