// Issue 16, the short version of bench:scale inside `npm test`: 50 simulated clusters (test/support/agent-sim.ts,
// a scale-only stand-in: real tunnel sessions, canned apiserver answers) connect to a real edge in workerd with
// credentials the edge checks against registration Secrets in a real management cluster; each answers through
// /k8s/clusters/<id>, its Cluster is pushed connected, and after an edge restart every one is back by itself.
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mgmt, type KubeObject } from '../protocol/kube/index.ts'
import { AgentSim, SIM_KUBERNETES_VERSION, type SimCluster } from './support/agent-sim.ts'
import { scaleStack, type ScaleStack } from './support/scale-stack.ts'
import { registerSimClusters, simClusterIds } from './support/sim-registration.ts'

const N = 50

describe('50 simulated clusters on one edge', () => {
  let stack: ScaleStack
  let sim: AgentSim
  let clusters: SimCluster[]
  let idle: SimCluster
  /** What the simulated agents' connectors logged, one parsed line each. */
  const logged: { msg: string; status?: number }[] = []
  const logger = pino({ level: 'info' }, new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logged.push(JSON.parse(line) as { msg: string; status?: number })
      cb()
    },
  }))

  /** Which of `ids` do not answer their own /version through the edge now. */
  const unanswered = async (ids: string[]): Promise<string[]> => {
    const out: string[] = []
    await Promise.all(
      ids.map(async (id) => {
        const res = await stack.get(`/k8s/clusters/${id}/version`)
        const ok = res.status === 200 && (JSON.parse(res.text) as { simulatedCluster?: string }).simulatedCluster === id
        if (!ok) out.push(id)
      }),
    )
    return out
  }

  beforeAll(async () => {
    stack = await scaleStack('scale-short')
    const registered = await registerSimClusters(stack.kube, simClusterIds('c-sim', N + 1), { clusters: true })
    idle = registered[0]!
    clusters = registered.slice(1)
    sim = new AgentSim({ server: stack.edge.url.origin, caPem: stack.edge.caPem, logger })
    await sim.add(clusters, { timeoutMs: 60_000 })
  }, 240_000)

  afterAll(async () => {
    await sim?.stop()
    await stack?.[Symbol.asyncDispose]()
  })

  it('each cluster answers through the edge, from its own agent', async () => {
    const ids = clusters.map((c) => c.id)
    expect(await unanswered(ids)).toEqual([])
    const ns = await stack.get(`/k8s/clusters/${ids[7]}/api/v1/namespaces`)
    expect(ns.status).toBe(200)
    expect((JSON.parse(ns.text) as { items: unknown[] }).items.length).toBe(3)
    const version = JSON.parse((await stack.get(`/k8s/clusters/${ids[3]}/version`)).text) as { gitVersion: string }
    expect(version.gitVersion).toBe(SIM_KUBERNETES_VERSION)
    // A registered cluster with no agent is not reachable: the answers above came through the tunnels.
    const none = await stack.get(`/k8s/clusters/${idle.id}/version`)
    expect(none.status).toBe(503)
  })

  it('pushes every Cluster connected, with the facts its agent reported', async () => {
    const want = new Set(clusters.map((c) => c.id))
    let pending: string[] = []
    for (let i = 0; i < 120; i++) {
      const items = (await stack.kube.list<KubeObject & { status?: { connected?: boolean; version?: { gitVersion?: string } } }>(mgmt('Cluster'))).items
      pending = items.filter((c) => want.has(c.metadata.name!) && !(c.status?.connected === true && c.status.version?.gitVersion === SIM_KUBERNETES_VERSION)).map((c) => c.metadata.name!)
      if (pending.length === 0) break
      await sleep(500)
    }
    expect(pending).toEqual([])
  })

  it('brings every cluster back by itself after an edge restart', async () => {
    await stack.stopEdge()
    // Every tunnel is gone with the edge.
    for (let i = 0; i < 100 && sim.connectedCount() > 0; i++) await sleep(100)
    expect(sim.connectedCount()).toBe(0)
    logged.length = 0
    await stack.startEdge()
    const ids = clusters.map((c) => c.id)
    // Asked at once, before any agent is back: each request waits in its tunnel object for its agent
    // (agent-wait.ts) instead of failing, so a restart costs clients latency, not errors.
    const early = await Promise.all(ids.map(async (id) => (await stack.get(`/k8s/clusters/${id}/version`)).status))
    expect(early.filter((s) => s !== 200).length, `answers right after the restart: ${early.join(',')}`).toBe(0)
    let missing = ids
    // The agents' backoff is capped at 30 s: 90 s bounds their return whatever they were told.
    for (let i = 0; i < 90 && missing.length > 0; i++) {
      await sleep(1_000)
      missing = await unanswered(missing)
    }
    expect(missing).toEqual([])
    expect(sim.connectedCount()).toBe(N)
    // Agents that came before `local`'s (whose tunnel the edge checks registrations through) were asked to
    // come back (503, Retry-After), not refused as holding a bad token (401), which sends an agent to its
    // longest backoff; those that tried then were refused the upgrade.
    expect(logged.filter((l) => l.status === 401)).toEqual([])
    expect(logged.filter((l) => l.msg === 'connected to the edge').length).toBe(N)
  }, 150_000)
})
