// Issue 16, faults survived — agents coming back. One stack (test/support/scale-stack.ts: a lite management
// cluster, the edge in workerd, the real `local` agent) for: a cluster's tunnel object reset under a real
// agent; two real agents sharing one cluster credential, and the socket cap beyond them; 100 simulated
// agents (test/support/agent-sim.ts) dialling through one Toxiproxy proxy that goes down for 30 s.
// Bounds are the agent's backoff cap (30 s, agent/dialer.ts) plus generous slack; waits print progress.
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { RECONNECT_BACKOFF } from '../agent/dialer.ts'
import type { TunnelStatus } from '../objects/tunnel/tunnel-hub.ts'
import { mgmt, type KubeObject } from '../protocol/kube/index.ts'
import { TUNNEL_SUBPROTOCOL } from '../protocol/tunnel/index.ts'
import { AgentSim, type SimCluster } from './support/agent-sim.ts'
import { openFilePaths, workerdPid } from './support/workerd-proc.ts'
import { startAgent, type AgentProcess } from './support/proxy-fixture.ts'
import { scaleStack, type ScaleStack } from './support/scale-stack.ts'
import { registerSimClusters, simClusterIds } from './support/sim-registration.ts'
import { ToxiproxyServer, type ToxiProxy } from './support/toxiproxy.ts'

const SIMS = 100
const OFFLINE_MS = 30_000
/** An agent retries within its backoff cap (full jitter: anywhere under it) once the edge is reachable. */
const BACK_BOUND_MS = (RECONNECT_BACKOFF.maxMs ?? 30_000) + 30_000
const CONNECTED_LOG = /"msg":"connected to the edge"/g
const connectedOnce = (out: string) => (out.match(CONNECTED_LOG)?.length ?? 0) > 0

/** The test entry's tunnel object (test/workerd/worker.ts), reached through Miniflare. */
interface TunnelStub {
  status(): Promise<TunnelStatus>
  resetForTest(reason: string): Promise<void>
}

const progress = (s: string) => process.stderr.write(`[fault-reconnect] ${s}\n`)

/** Waits for `cond`; says what did not happen on timeout, and what it waits for every 5 s. */
async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, detail: () => string = () => ''): Promise<number> {
  const t0 = Date.now()
  let told = t0
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail() ? `: ${detail()}` : ''}`)
    if (Date.now() - told > 5_000) {
      told = Date.now()
      progress(`still waiting for ${what} (${((told - t0) / 1000).toFixed(0)} s)${detail() ? `: ${detail()}` : ''}`)
    }
    await sleep(200)
  }
  return Date.now() - t0
}

describe('agents come back: tunnel object reset, two replicas on one credential, 100 agents after 30 s offline', () => {
  let stack: ScaleStack
  let toxi: ToxiproxyServer
  let link: ToxiProxy
  let sim: AgentSim
  /** The cluster the real agents serve (the management apiserver stands in for its own). */
  let real: SimCluster
  let sims: SimCluster[]
  const agents: AgentProcess[] = []
  /** What the simulated agents logged, one parsed line each. */
  const logged: { msg: string; status?: number; err?: string }[] = []
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logged.push(JSON.parse(line) as (typeof logged)[number])
        cb()
      },
    }),
  )

  const tunnel = async (id: string): Promise<TunnelStub> => {
    const ns = await stack.edge.miniflare.getDurableObjectNamespace('TUNNEL')
    return ns.get(ns.idFromName(id)) as unknown as TunnelStub
  }
  const sessions = async (id: string) => (await (await tunnel(id)).status()).sessions
  const agent = () => {
    const p = startAgent(stack.edge, `${real.id}:${real.token}`, stack.mc.kubeconfigPath)
    agents.push(p)
    return p
  }
  const serves = async (id: string) => (await stack.get(`/k8s/clusters/${id}/version`)).status === 200
  /** Which of `ids` do not answer their own /version through the edge now. */
  const unanswered = async (ids: string[]): Promise<string[]> => {
    const out: string[] = []
    await Promise.all(
      ids.map(async (id) => {
        const res = await stack.get(`/k8s/clusters/${id}/version`)
        if (!(res.status === 200 && (JSON.parse(res.text) as { simulatedCluster?: string }).simulatedCluster === id)) out.push(id)
      }),
    )
    return out
  }
  /** Of `ids`, the Clusters whose pushed `connected` is not `want`. */
  const clustersNot = async (ids: string[], want: boolean): Promise<string[]> => {
    const wanted = new Set(ids)
    const items = (await stack.kube.list<KubeObject & { status?: { connected?: boolean } }>(mgmt('Cluster'))).items
    return items.filter((c) => wanted.has(c.metadata.name!) && (c.status?.connected === true) !== want).map((c) => c.metadata.name!)
  }
  /** A watch through the edge: resolves when its body ends, however it ends. */
  const watch = async (id: string) => {
    const ctl = new AbortController()
    const res = await stack.edge.fetch(`/k8s/clusters/${id}/api/v1/namespaces?watch=true`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
      signal: ctl.signal,
    } as Parameters<ScaleStack['edge']['fetch']>[1])
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    // The first event (an existing namespace) says the stream is open end to end.
    expect((await reader.read()).done).toBe(false)
    const ended = (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // a broken stream ends it too
      }
    })()
    return { ended, abort: () => ctl.abort() }
  }

  beforeAll(async () => {
    ;[stack, toxi] = await Promise.all([scaleStack('fault-reconnect', { log: progress }), ToxiproxyServer.start()])
    const registered = await registerSimClusters(stack.kube, simClusterIds('c-recon', SIMS + 1), { clusters: true })
    real = registered[0]!
    sims = registered.slice(1)
    link = await toxi.proxy('edge', `127.0.0.1:${stack.edge.url.port}`)
    // The edge's certificate names 127.0.0.1, whatever the port: the simulated agents dial the proxy.
    sim = new AgentSim({ server: `https://${link.listen}`, caPem: stack.edge.caPem, logger })
    await sim.add(sims, { timeoutMs: 120_000 })
  }, 600_000)

  afterAll(async () => {
    await sim?.stop()
    await Promise.all(agents.map((a) => a.kill()))
    await toxi?.[Symbol.asyncDispose]()
    await stack?.[Symbol.asyncDispose]()
  })

  it('a reset tunnel object: the agent reconnects, exactly one new session serves, the old one is gone', async () => {
    const a = agent()
    await until(`${real.id} served by its agent`, async () => (await sessions(real.id)).length === 1 && (await serves(real.id)), 60_000, () => a.output().slice(-2000))
    const [before] = await sessions(real.id)
    const inFlight = await watch(real.id)
    // As workerd resets an object on a code update or when it breaks; the rest of the edge runs on.
    await (await tunnel(real.id)).resetForTest('fault test: tunnel object reset').catch(() => {})
    // The watch in flight ends (its client re-lists), it does not hang on a session that is gone.
    await inFlight.ended
    await until('a new session of the agent', async () => (await sessions(real.id)).some((s) => s.sessionId !== before!.sessionId), BACK_BOUND_MS, () => a.output().slice(-2000))
    await until(`${real.id} serving again`, () => serves(real.id), 30_000)
    const after = await sessions(real.id)
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ replicaId: before!.replicaId })
    expect(after[0]!.sessionId).not.toBe(before!.sessionId)
    // The agent saw its socket drop (workerd closes an object's sockets when it resets it) and dialled once.
    const out = a.output()
    progress(`after the reset the agent logged: ${/.*"msg":"disconnected from the edge".*/.exec(out)?.[0]}`)
    expect(out).toContain(`"sessionId":"${before!.sessionId}"`)
    expect(out).toMatch(/"msg":"disconnected from the edge"/)
    expect(out.match(CONNECTED_LOG)).toHaveLength(2)
    for (let i = 0; i < 5; i++) expect(await serves(real.id)).toBe(true)
    expect(await sessions(real.id)).toEqual([expect.objectContaining({ sessionId: after[0]!.sessionId })])
  }, 180_000)

  it('hibernation while idle: the object is evicted, its agent socket outlives it, and the next request is served on the same session', async () => {
    // A simulated agent's cluster, which no Durable Object stub of this test has touched: a stub held by the
    // test would itself keep the object in memory.
    const target = sims[0]!
    logged.length = 0
    // The object's own SQLite file is open while it is in memory and closed once workerd evicts it.
    const id = (await stack.edge.miniflare.getDurableObjectNamespace('TUNNEL')).idFromName(target.id).toString()
    const pid = workerdPid()!
    const resident = () => openFilePaths(pid).some((p) => p.endsWith(`/${id}.sqlite`))
    expect(await serves(target.id)).toBe(true)
    expect(resident()).toBe(true)
    // workerd evicts an object with only hibernatable sockets after about 10 s without events; the edge
    // keeps no timer once a request is done, and the runtime answers the agent's keepalives meanwhile.
    const took = await until('the tunnel object evicted while idle', () => !resident(), 90_000)
    progress(`the tunnel object of ${target.id} was evicted ${took} ms after its last request`)
    expect(await serves(target.id)).toBe(true)
    expect(resident()).toBe(true)
    // The same socket and session served it: no simulated agent lost its tunnel or dialled again.
    expect(logged.filter((l) => /connected|disconnected/.test(l.msg))).toEqual([])
    expect(sim.connectedCount()).toBe(SIMS)
  }, 150_000)

  it('two agents with one credential: both listed, either serves, one dying leaves the other serving', async () => {
    const [first] = agents
    const second = agent()
    await until('both agents listed', async () => (await sessions(real.id)).length === 2, 60_000, () => second.output().slice(-2000))
    const listed = await sessions(real.id)
    expect(new Set(listed.map((s) => s.replicaId)).size).toBe(2)
    // Two watches at once: each goes to the less busy session, so one to each agent.
    const watches = [await watch(real.id), await watch(real.id)]
    expect((await sessions(real.id)).map((s) => s.streams)).toEqual([1, 1])
    await first!.kill('SIGKILL')
    // The dead agent's watch ends; the other agent's carries on and it serves every request, at once.
    await Promise.race(watches.map((w) => w.ended))
    await until('the dead agent dropped from the sessions', async () => (await sessions(real.id)).length === 1, 30_000)
    expect((await sessions(real.id))[0]).toMatchObject({ streams: 1 })
    for (let i = 0; i < 10; i++) expect(await serves(real.id)).toBe(true)
    for (const w of watches) w.abort()
  }, 180_000)

  it('refuses agent sockets beyond the cap with 429 and a message; an agent refused so gets in once one frees', async () => {
    const live = (await sessions(real.id)).length
    const open: WebSocket[] = []
    const dial = () =>
      new Promise<{ ws?: WebSocket; status?: number; body?: string }>((resolve, reject) => {
        const ws = new WebSocket(`wss://${stack.edge.url.host}/v3/connect`, TUNNEL_SUBPROTOCOL, { ca: stack.edge.caPem, headers: { 'X-API-Tunnel-Token': `${real.id}:${real.token}` } })
        ws.on('open', () => resolve({ ws }))
        ws.on('unexpected-response', (req, res) => {
          let body = ''
          res.on('data', (d: Buffer) => (body += d.toString()))
          res.on('end', () => {
            req.destroy()
            resolve({ status: res.statusCode!, body })
          })
        })
        ws.on('error', reject)
      })
    try {
      // Sockets that never say hello, until the edge refuses one: as a leaked credential could try.
      let refused: { status?: number; body?: string } | undefined
      while (!refused && open.length < 100) {
        const r = await dial()
        if (r.ws) open.push(r.ws)
        else refused = r
      }
      expect(refused?.status).toBe(429)
      const body = JSON.parse(refused!.body!) as { type: string; status: number; code: string; message: string }
      expect(body).toMatchObject({ type: 'error', status: 429, code: 'TooManyAgents' })
      // The message names the cluster and the cap, which is what this cluster now holds.
      const cap = Number(new RegExp(`^cluster ${real.id} already has (\\d+) agent connections`).exec(body.message)?.[1])
      expect(cap, body.message).toBe(live + open.length)
      // The agent already in keeps serving; a new agent is refused (and says so) while the cap holds.
      expect(await serves(real.id)).toBe(true)
      const late = agent()
      await until('the late agent refused', () => /"status":429,.*"msg":"the edge refused the tunnel upgrade"/.test(late.output()), 30_000, () => late.output().slice(-2000))
      expect(connectedOnce(late.output())).toBe(false)
      open.pop()!.close(1000, 'done')
      await until('the late agent connected once a socket freed', () => connectedOnce(late.output()), BACK_BOUND_MS, () => late.output().slice(-2000))
      expect((await sessions(real.id)).length).toBe(live + 1)
      expect(late.output()).not.toMatch(/"status":401/)
    } finally {
      for (const ws of open) ws.close(1000, 'done')
    }
  }, 180_000)

  it(`brings ${SIMS} agents back by themselves after their link was down for ${OFFLINE_MS / 1000} s, without an error cascade`, async () => {
    const ids = sims.map((c) => c.id)
    expect(await unanswered(ids)).toEqual([])
    await until(`${SIMS} Clusters connected`, async () => (await clustersNot(ids, true)).length === 0, 60_000)
    logged.length = 0
    const downAt = Date.now()
    // Every open connection through the proxy closes and new ones are refused: all links down.
    await link.setEnabled(false)
    await until('every simulated agent to see its link drop', () => sim.connectedCount() === 0, 30_000, () => `${sim.connectedCount()} still connected`)
    await until(`${SIMS} Clusters disconnected`, async () => (await clustersNot(ids, false)).length === 0, 60_000)
    const down = await stack.get(`/k8s/clusters/${ids[0]}/version`)
    expect(down.status).toBe(503)
    while (Date.now() - downAt < OFFLINE_MS) {
      progress(`link down ${((Date.now() - downAt) / 1000).toFixed(0)} s of ${OFFLINE_MS / 1000}`)
      await sleep(Math.min(5_000, OFFLINE_MS - (Date.now() - downAt)))
    }
    await link.setEnabled(true)
    let missing = ids
    const took = await until(
      `all ${SIMS} agents answering again`,
      async () => (missing = await unanswered(missing)).length === 0,
      BACK_BOUND_MS,
      () => `${missing.length} missing, ${sim.connectedCount()} sessions`,
    )
    await until(`${SIMS} Clusters connected again`, async () => (await clustersNot(ids, true)).length === 0, 60_000)
    const counts = new Map<string, number>()
    for (const l of logged) {
      const key = `${l.msg}${l.status ? ` (${l.status})` : ''}${l.err && !l.status ? ` (${l.err.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'edge')})` : ''}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    progress(`all ${SIMS} back ${(took / 1000).toFixed(1)} s after the link came up; the agents logged: ${JSON.stringify(Object.fromEntries(counts))}`)
    // /v3/connect answered every dial it received with 101: no refusal of any kind, no 401 (which sends an
    // agent to its longest backoff); while the link was down the dials found nothing listening.
    expect(logged.filter((l) => l.status !== undefined)).toEqual([])
    expect(logged.filter((l) => l.msg === 'connected to the edge')).toHaveLength(SIMS)
    expect(sim.connectedCount()).toBe(SIMS)
    // No cascade: the backoff spaced each agent's dials (full jitter under 0.5 s doubling to 30 s is about
    // 7 in 30 s; a retry loop without backoff would log hundreds each).
    const failedDials = logged.filter((l) => l.msg === 'cannot connect to the edge').length
    expect(failedDials).toBeGreaterThan(0)
    expect(failedDials).toBeLessThan(SIMS * 20)
  }, 300_000)
})
