import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { TUNNEL_SUBPROTOCOL, type ClusterFacts, type StreamHandler } from '../protocol/tunnel/index.ts'
import { startDialer, type RunningAgent } from './dialer.ts'
import { FakeEdge, TOKEN } from '../test/support/agent-edge.ts'
import { ManualClock } from '../test/support/manual-clock.ts'
import { silentLogger } from '../test/support/logger.ts'
import { until } from '../test/support/streams.ts'

const noHandler: StreamHandler = {
  http: () => Promise.reject(new Error('not used')),
  websocket: () => Promise.reject(new Error('not used')),
}

/** Waits for the dialer to set its retry timer, fires it, and resolves with its delay. */
async function fireRetry(clock: ManualClock): Promise<number> {
  await until(() => clock.pending() > 0)
  const ms = clock.nextDelay()!
  clock.tick(ms)
  return ms
}

describe('dialer', () => {
  let agent: RunningAgent | undefined
  let edge: FakeEdge | undefined
  afterEach(async () => {
    await agent?.stop()
    await edge?.close()
    agent = undefined
    edge = undefined
  })

  it('dials /v3/connect with the token and subprotocol, says hello, sends facts, and reconnects after a drop', async () => {
    edge = new FakeEdge()
    const facts: ClusterFacts = { kubernetesVersion: 'v1.99.0', nodeCount: 3 }
    agent = startDialer({
      server: await edge.url(),
      token: TOKEN,
      handler: noHandler,
      logger: silentLogger,
      collectFacts: async () => facts,
      backoff: { baseMs: 10, maxMs: 50 },
    })
    await until(() => edge!.hellos.length === 1 && edge!.facts.length === 1)
    expect(agent.connected).toBe(true)
    const [up] = edge.upgrades
    expect(up!.url).toBe('/v3/connect')
    expect(up!.headers['sec-websocket-protocol']).toBe(TUNNEL_SUBPROTOCOL)
    expect(edge.facts[0]).toEqual(facts)

    edge.sockets[0]!.terminate()
    await until(() => edge!.hellos.length === 2)
    const [first, second] = edge.hellos
    expect(second!.replicaId).toBe(first!.replicaId)
    expect(second!.sessionId).not.toBe(first!.sessionId)
    expect(second!.agentVersion).toMatch(/^\d+\.\d+\.\d+/)
    await until(() => edge!.facts.length === 2)
  })

  it('detects a silent edge by ping timeout and reconnects', async () => {
    edge = new FakeEdge()
    agent = startDialer({
      server: await edge.url(),
      token: TOKEN,
      handler: noHandler,
      logger: silentLogger,
      backoff: { baseMs: 10, maxMs: 50 },
      limits: { pingIntervalMs: 20, pingTimeoutMs: 200 },
    })
    await until(() => edge!.hellos.length === 1)
    edge.mute()
    await until(() => edge!.hellos.length === 2, 3_000)
    expect(edge.upgrades).toHaveLength(2)
  })

  it('goes through the proxy named by HTTP_PROXY, and around it for NO_PROXY hosts', async () => {
    edge = new FakeEdge()
    const target = new URL(await edge.url())
    const connects: string[] = []
    const proxy: Server = createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req, client) => {
      connects.push(req.url ?? '')
      const [host, port] = (req.url ?? '').split(':')
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy }
    try {
      delete process.env.http_proxy
      delete process.env.no_proxy
      process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      process.env.NO_PROXY = 'example.invalid'
      agent = startDialer({ server: target.href, token: TOKEN, handler: noHandler, logger: silentLogger, backoff: { baseMs: 10, maxMs: 50 } })
      await until(() => edge!.hellos.length === 1)
      expect(connects).toEqual([target.host])
      await agent.stop()

      process.env.NO_PROXY = '127.0.0.1'
      agent = startDialer({ server: target.href, token: TOKEN, handler: noHandler, logger: silentLogger, backoff: { baseMs: 10, maxMs: 50 } })
      await until(() => edge!.hellos.length === 2)
      expect(connects).toHaveLength(1)
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  it('stops cleanly: closes with AGENT_SHUTDOWN and does not come back', async () => {
    edge = new FakeEdge()
    agent = startDialer({ server: await edge.url(), token: TOKEN, handler: noHandler, logger: silentLogger, backoff: { baseMs: 10, maxMs: 50 } })
    await until(() => edge!.hellos.length === 1)
    await agent.stop()
    expect(agent.connected).toBe(false)
    await until(() => edge!.closes.length === 1)
    expect(edge.closes[0]!.code).toBe(4015)
    await new Promise((r) => setTimeout(r, 200))
    expect(edge.upgrades).toHaveLength(1)
  })

  it('backs off with a growing, capped, jittered delay while the edge is unreachable', async () => {
    edge = new FakeEdge()
    const url = await edge.url()
    await edge.close()
    edge = undefined
    const clock = new ManualClock()
    agent = startDialer({ server: url, token: TOKEN, handler: noHandler, logger: silentLogger, clock, backoff: { baseMs: 500, maxMs: 30_000, random: () => 0.999999 } })
    const delays: number[] = []
    for (let i = 0; i < 9; i++) delays.push(await fireRetry(clock))
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999])
  })

  it('treats a rejected token as a capped retry, not a hot loop', async () => {
    edge = new FakeEdge()
    const clock = new ManualClock()
    agent = startDialer({ server: await edge.url(), token: 'wrong', handler: noHandler, logger: silentLogger, clock, backoff: { baseMs: 500, maxMs: 30_000, random: () => 0.999999 } })
    expect(await fireRetry(clock)).toBe(29999)
    expect(await fireRetry(clock)).toBe(29999)
    expect(edge.upgrades.length).toBeGreaterThanOrEqual(2)
    expect(edge.hellos).toEqual([])
  })
})
