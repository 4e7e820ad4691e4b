import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { createServer, type Server } from 'node:https'
import { rootCertificates } from 'node:tls'
import { pino, type Logger } from 'pino'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateServingPki } from '../infra/dev-cluster/pki.ts'
import type { StreamHandler } from '../protocol/tunnel/index.ts'
import { connectUrl, runAgent, startDialer, type RunningAgent } from './dialer.ts'
import { EdgeTrust, EdgeTrustError, edgeTrustSettings } from './edge-trust.ts'
import { FakeEdge, TOKEN } from '../test/support/agent-edge.ts'
import { until } from '../test/support/streams.ts'

// The agent against an HTTPS edge with a throwaway CA that serves GET /cacerts (Rancher's CA pinning).
// "Refuses" means: no WebSocket upgrade ever reaches the edge, and the log says why.

type Pki = Awaited<ReturnType<typeof generateServingPki>>
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

const noHandler: StreamHandler = {
  http: () => Promise.reject(new Error('not used')),
  websocket: () => Promise.reject(new Error('not used')),
}

interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) })
  return { logger, lines }
}

/** An HTTPS edge: `serving` is its certificate, `cacerts` the body of GET /cacerts (undefined: 404). */
class TlsEdge {
  readonly cacertsRequests: IncomingMessage[] = []
  readonly fake: FakeEdge

  private constructor(private readonly server: Server) {
    this.fake = new FakeEdge(server)
  }

  static async start(serving: Pki, cacerts: string | undefined): Promise<TlsEdge> {
    let edge: TlsEdge | undefined
    const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      if (req.method === 'GET' && req.url === '/cacerts') {
        edge!.cacertsRequests.push(req)
        if (cacerts === undefined) res.writeHead(404).end()
        else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(cacerts)
      } else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    edge = new TlsEdge(server)
    return edge
  }

  url(): Promise<string> {
    return this.fake.url()
  }

  async close(): Promise<void> {
    await this.fake.close()
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

describe('the agent pins the edge CA by its checksum', () => {
  let a: Pki
  let b: Pki
  let edge: TlsEdge | undefined
  let agent: RunningAgent | undefined
  beforeAll(async () => {
    ;[a, b] = await Promise.all([generateServingPki('edge'), generateServingPki('impostor')])
  })
  afterEach(async () => {
    await agent?.stop()
    await edge?.close()
    agent = undefined
    edge = undefined
  })

  const dial = async (logger: Logger, opts: { caChecksum?: string; tlsMode?: string }) =>
    startDialer({ server: await edge!.url(), token: TOKEN, handler: noHandler, logger, backoff: { baseMs: 10, maxMs: 50 }, ...opts })

  it('connects when /cacerts matches the checksum and the edge certificate chains to it, fetching the CA once, without the token', async () => {
    edge = await TlsEdge.start(a, a.caPem)
    agent = await dial(recordingLogger().logger, { caChecksum: sha256(a.caPem) })
    await until(() => edge!.fake.hellos.length === 1)
    expect(agent.connected).toBe(true)
    edge.fake.sockets[0]!.terminate()
    await until(() => edge!.fake.hellos.length === 2)
    expect(edge.cacertsRequests).toHaveLength(1)
    expect(edge.cacertsRequests[0]!.headers['x-api-tunnel-token']).toBeUndefined()
  })

  it('trusts the pinned CA in system-store mode as well', async () => {
    edge = await TlsEdge.start(a, a.caPem)
    agent = await dial(recordingLogger().logger, { caChecksum: sha256(a.caPem), tlsMode: 'system-store' })
    await until(() => edge!.fake.hellos.length === 1)
  })

  it('refuses an edge whose certificate another CA signed, although /cacerts answers with the pinned CA', async () => {
    edge = await TlsEdge.start(b, a.caPem)
    const { logger, lines } = recordingLogger()
    agent = await dial(logger, { caChecksum: sha256(a.caPem) })
    const refusals = () => lines.filter((l) => l.msg.includes("the edge's certificate does not verify against the pinned CA"))
    await until(() => refusals().length >= 2)
    expect(edge.cacertsRequests.length).toBeGreaterThanOrEqual(1)
    expect(edge.fake.upgrades).toEqual([])
    expect(agent.connected).toBe(false)
    expect(refusals()[0]).toMatchObject({ level: 50, msg: expect.stringMatching(/refusing to connect/) })
  })

  it.each(['strict', 'system-store'])('refuses, in %s mode, a /cacerts whose checksum differs, naming both checksums, and keeps retrying', async (tlsMode) => {
    // The edge's own certificate is fine; its /cacerts hands out another CA (a swapped or hijacked edge).
    edge = await TlsEdge.start(a, b.caPem)
    const { logger, lines } = recordingLogger()
    agent = await dial(logger, { caChecksum: sha256(a.caPem), tlsMode })
    await until(() => edge!.cacertsRequests.length >= 3)
    const refusal = lines.find((l) => l.msg.includes("the edge's CA does not match the CA checksum"))
    expect(refusal).toMatchObject({ level: 50, expected: sha256(a.caPem), received: sha256(b.caPem) })
    expect(refusal!.msg).toContain(`expected ${sha256(a.caPem)}, received ${sha256(b.caPem)}`)
    expect(edge.fake.upgrades).toEqual([])
  })

  it('compares the bytes as served: a PEM that differs only in a trailing newline is another CA', async () => {
    edge = await TlsEdge.start(a, `${a.caPem}\n`)
    const { logger, lines } = recordingLogger()
    agent = await dial(logger, { caChecksum: sha256(a.caPem) })
    await until(() => lines.some((l) => l.msg.includes('does not match the CA checksum')))
    expect(edge.fake.upgrades).toEqual([])
  })

  it('refuses to connect while /cacerts is unavailable, and retries', async () => {
    edge = await TlsEdge.start(a, undefined)
    const { logger, lines } = recordingLogger()
    agent = await dial(logger, { caChecksum: sha256(a.caPem) })
    await until(() => edge!.cacertsRequests.length >= 2)
    expect(lines.find((l) => l.msg.includes("cannot fetch the edge's CA"))).toMatchObject({ level: 50, err: expect.stringMatching(/HTTP 404/) })
    expect(edge.fake.upgrades).toEqual([])
  })

  it('uses the pinned CA as the only trust anchor in strict mode, next to the system store in system-store mode', async () => {
    edge = await TlsEdge.start(a, a.caPem)
    const { url, cacertsUrl } = connectUrl(await edge.url())
    const strict = new EdgeTrust(edgeTrustSettings(url, { caChecksum: sha256(a.caPem) }), cacertsUrl)
    expect(strict.settings.mode).toBe('strict')
    expect(await strict.tlsOptions()).toEqual({ ca: [a.caPem] })
    const store = new EdgeTrust(edgeTrustSettings(url, { caChecksum: sha256(a.caPem), tlsMode: 'system-store' }), cacertsUrl)
    const { ca } = await store.tlsOptions()
    expect(ca).toEqual(expect.arrayContaining([...rootCertificates, a.caPem]))
    // Without a checksum nothing is fetched and Node's default store (NODE_EXTRA_CA_CERTS included) applies.
    expect(await new EdgeTrust(edgeTrustSettings(url, {}), cacertsUrl).tlsOptions()).toEqual({})
  })
})

describe('the agent refuses to start on a trust configuration that cannot work', () => {
  const logger = recordingLogger().logger
  const start = (server: string, opts: { caChecksum?: string; tlsMode?: string }) => () =>
    startDialer({ server, token: TOKEN, handler: noHandler, logger, ...opts })

  it('strict mode without a checksum, saying what to set', () => {
    expect(start('https://edge.example', { tlsMode: 'strict' })).toThrow(EdgeTrustError)
    expect(start('https://edge.example', { tlsMode: 'strict' })).toThrow(/DROVER_CA_CHECKSUM.*system-store/)
    // runAgent refuses before it reads a kubeconfig.
    expect(() => runAgent({ server: 'https://edge.example', token: TOKEN, logger, tlsMode: 'strict', kubeconfig: '/nonexistent' })).toThrow(EdgeTrustError)
  })

  it.each([
    [{ caChecksum: 'abc' }, /64 hex digits/],
    [{ tlsMode: 'loose' }, /strict, system-store/],
  ])('%j', (opts, message) => {
    expect(start('https://edge.example', opts)).toThrow(message)
  })

  it('a checksum for an edge without TLS', () => {
    expect(start('http://edge.example', { caChecksum: 'a'.repeat(64) })).toThrow(/must be https/)
  })
})
