// Issue 16: status that tells the truth after an edge restart. Seen before the fix: an agent that died
// while the edge was down left its Cluster `connected` after the edge came back, with no session behind
// it, for ever — no close event reaches a tunnel object started after its sockets are gone, and nothing
// else wakes it. Here as it happens: a real edge (workerd, persisted Durable Object storage), the real
// `local` agent on a real management cluster, a real agent of cluster c-down; the edge stopped, c-down's
// agent killed while it is down, the edge started again on the same storage, port and certificate.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEdgeTls, type EdgeTls } from '../infra/edge/local-edge.ts'
import { generateEdgeSecrets, type EdgeSecrets } from '../infra/edge/secrets.ts'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { STATUS_BOUND_MS } from '../objects/tunnel/cluster-status.ts'
import { defaultLimits } from '../protocol/tunnel/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { startAgent, startEdge, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'

const DOWN = 'c-down'
const DOWN_TOKEN = 'c-down-agent-token-0123456789'
const CONNECTED_LOG = /connected to the edge/g
/** The tunnel objects' watchdog here (TUNNEL_WATCHDOG_SECONDS); production's is 120 s. */
const WATCHDOG_S = 10

describe('a tunnel object restarted without its agent', () => {
  let mc: DevCluster
  let edge: TestEdge | undefined
  let local: AgentProcess | undefined
  let down: AgentProcess | undefined
  let secrets: EdgeSecrets
  let tls: EdgeTls
  let port: number
  const persistDir = mkdtempSync(join(tmpdir(), 'drover-edge-persist-'))

  const start = () => startEdge([], { [DOWN_TOKEN]: DOWN }, { ...secrets, TUNNEL_WATCHDOG_SECONDS: String(WATCHDOG_S) }, { persistDir, tls, port })
  const connected = async (): Promise<string> => (await mc.kubectl(['get', 'clusters.management.cattle.io', DOWN, '-o', 'jsonpath={.status.connected}'])).stdout
  const until = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> => {
    const t0 = Date.now()
    while (!(await cond())) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(100)
    }
    return Date.now() - t0
  }

  beforeAll(async () => {
    mc = await devCluster('status-restart', { mode: 'lite' })
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system' } }, ...managementRbac(), ...downstreamRbac()]
    const applied = await mc.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
    if (applied.code !== 0) throw new Error(applied.stderr)
    const created = await mc.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: DOWN }, spec: {} }) })
    if (created.code !== 0) throw new Error(created.stderr)
    ;[secrets, tls, port] = await Promise.all([generateEdgeSecrets(), generateEdgeTls(), freePort()])
    edge = await start()
    local = startAgent(edge, secrets.DROVER_LOCAL_AGENT_TOKEN, mc.kubeconfigPath)
    // c-down's agent serves from the same apiserver: only its tunnel matters here.
    down = startAgent(edge, DOWN_TOKEN, mc.kubeconfigPath)
  }, 300_000)

  afterAll(async () => {
    await down?.kill()
    await local?.kill()
    await edge?.dispose()
    await mc?.[Symbol.asyncDispose]()
    rmSync(persistDir, { recursive: true, force: true })
  })

  it('is connected while the agent is, across watchdog periods longer than the ping timeout', async () => {
    await until('c-down connected', async () => (await connected()) === 'true', 60_000)
    // The watchdog wakes the object several times meanwhile, past the ping timeout since the agent's last
    // message: a live (hibernated) socket whose keepalives the runtime answers keeps the status.
    await sleep(defaultLimits.pingTimeoutMs + 2 * WATCHDOG_S * 1000)
    expect(await connected()).toBe('true')
  })

  it('says disconnected when the agent freezes with no request waiting (the watchdog ends the silent socket), and connected once it runs', async () => {
    const bound = WATCHDOG_S * 1000 + defaultLimits.pingTimeoutMs + STATUS_BOUND_MS + 10_000
    down!.child.kill('SIGSTOP')
    try {
      const took = await until('c-down disconnected while its agent is frozen', async () => (await connected()) === 'false', bound)
      console.log(`c-down disconnected ${took} ms after its agent froze`)
    } finally {
      down!.child.kill('SIGCONT')
    }
    // The agent finds its socket closed (or its own ping timeout) and dials again.
    await until('c-down connected after its agent runs again', async () => (await connected()) === 'true', 90_000)
  })

  it('says disconnected within the bound once the edge is back, when the agent died while it was down', async () => {
    await edge!.dispose()
    edge = undefined
    await down!.kill('SIGKILL')
    expect(await connected()).toBe('true')
    const localConnects = local!.output().match(CONNECTED_LOG)!.length
    edge = await start()
    // The bound counts from when the management cluster is reachable through the edge again.
    await until('the local agent to reconnect', () => (local!.output().match(CONNECTED_LOG)?.length ?? 0) > localConnects, 60_000)
    const took = await until('c-down disconnected', async () => (await connected()) === 'false', STATUS_BOUND_MS)
    console.log(`c-down disconnected ${took} ms after the local agent reconnected`)
  })

  it('connects again when a new agent comes', async () => {
    down = startAgent(edge!, DOWN_TOKEN, mc.kubeconfigPath)
    await until('c-down connected again', async () => (await connected()) === 'true', STATUS_BOUND_MS + 30_000)
  })
})
