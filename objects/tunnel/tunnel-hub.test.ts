import { describe, expect, it } from 'vitest'
import { closeCodeFor, TunnelError, TunnelSession, type StreamHandler } from '../../protocol/tunnel/index.ts'
import { readAll, settle, until, utf8 } from '../../test/support/tunnel-testing.ts'
import { TunnelHub, type AgentSocket } from './tunnel-hub.ts'

const identity = { user: 'u', groups: [], extra: {} }
const get = (path: string) => ({ method: 'GET', path, headers: [] as [string, string][], identity })

/** Answers every request with its path and which replica served it; `hold` keeps requests open. */
function handler(replica: string, hold?: Promise<void>): StreamHandler {
  return {
    async http(head) {
      if (hold) await hold
      return { head: { status: 200, headers: [['x-replica', replica]] }, body: new Blob([`${replica} ${head.path}`]).stream() }
    },
    async websocket() {
      return { head: { status: 403, headers: [] } }
    },
  }
}

/** An agent session joined to the hub through a socket that behaves like a hibernatable WebSocket. */
function connectAgent(hub: TunnelHub, replicaId: string, h: StreamHandler, opts: { deferHello?: boolean } = {}) {
  let attachment: unknown = null
  const closes: number[] = []
  let agent!: TunnelSession
  let open = true
  const socket: AgentSocket = {
    send: (m) => {
      const copy = typeof m === 'string' ? m : new Uint8Array(m instanceof ArrayBuffer ? m : m.slice()).slice()
      setTimeout(() => open && agent.receive(copy), 0)
    },
    close: (code) => {
      closes.push(code ?? 1000)
      open = false
    },
    serializeAttachment: (v) => (attachment = structuredClone(v)),
    deserializeAttachment: () => attachment,
  }
  hub.attach(socket, Date.now())
  agent = new TunnelSession({
    role: 'agent',
    handler: h,
    transport: {
      send: (m) => {
        const copy = typeof m === 'string' ? m : m.slice().buffer
        setTimeout(() => open && hubOf.current.message(socket, copy), 0)
      },
      close: () => {
        open = false
      },
    },
  })
  const hubOf = { current: hub }
  const hello = () => agent.sendHello({ agentVersion: '1.0.0', sessionId: `s-${replicaId}-${Math.random()}`, replicaId })
  if (!opts.deferHello) hello()
  return { socket, agent, closes, hubOf, hello, drop: () => ((open = false), hubOf.current.closed(socket, 'socket closed')) }
}

describe('TunnelHub (the ClusterTunnel object’s logic) in workerd', () => {
  it('has no session until an agent says hello, then proxies through it and reports it', async () => {
    const hub = new TunnelHub('c-one')
    expect(hub.pick()).toBeUndefined()
    expect(hub.status()).toEqual({ clusterId: 'c-one', connected: false, sessions: [] })
    connectAgent(hub, 'r1', handler('r1'))
    await until(() => hub.connected)
    const res = await hub.pick()!.fetch(get('/version'), null)
    expect(res.head.status).toBe(200)
    expect(utf8(await readAll(res.body))).toBe('r1 /version')
    const status = hub.status()
    expect(status.connected).toBe(true)
    expect(status.sessions).toMatchObject([{ replicaId: 'r1', agentVersion: '1.0.0', streams: 0 }])
  })

  it('spreads streams over replicas and supersedes a stale session of the same replica', async () => {
    const hub = new TunnelHub('c-two')
    let release!: () => void
    const hold = new Promise<void>((r) => (release = r))
    connectAgent(hub, 'r1', handler('r1', hold))
    connectAgent(hub, 'r2', handler('r2', hold))
    await until(() => hub.status().sessions.length === 2)
    const first = hub.pick()!.fetch(get('/a'), null)
    await settle()
    const second = hub.pick()!.fetch(get('/b'), null)
    release()
    const replicas = [(await first).head.headers[0]![1], (await second).head.headers[0]![1]].sort()
    expect(replicas).toEqual(['r1', 'r2'])

    const stale = [...hub.status().sessions].find((s) => s.replicaId === 'r1')!
    const again = connectAgent(hub, 'r1', handler('r1-new'))
    await until(() => hub.status().sessions.some((s) => s.replicaId === 'r1' && s.sessionId !== stale.sessionId))
    expect(hub.status().sessions.map((s) => s.replicaId).sort()).toEqual(['r1', 'r2'])
    expect(again.closes).toEqual([])
  })

  it('fails in-flight requests at once when the last agent socket drops', async () => {
    const hub = new TunnelHub('c-three')
    const a = connectAgent(hub, 'r1', handler('r1', new Promise(() => {})))
    await until(() => hub.connected)
    const pending = hub.pick()!.fetch(get('/watch'), null)
    await settle()
    a.drop()
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TunnelError)
    expect((err as TunnelError).retryable).toBe(true)
    expect(hub.connected).toBe(false)
  })

  it('closes a superseded socket with its own close code', async () => {
    const hub = new TunnelHub('c-four')
    const old = connectAgent(hub, 'r1', handler('r1'))
    await until(() => hub.connected)
    connectAgent(hub, 'r1', handler('r1-new'))
    await until(() => old.closes.length > 0)
    expect(old.closes).toEqual([closeCodeFor('SUPERSEDED')])
    const res = await hub.pick()!.fetch(get('/x'), null)
    expect(utf8(await readAll(res.body))).toBe('r1-new /x')
  })

  it('keeps the newer connection of a replica when the older one says hello late (stale session fenced)', async () => {
    const hub = new TunnelHub('c-late')
    // The agent dialled, its hello got stuck on the slow link, it gave up and dialled again.
    const stale = connectAgent(hub, 'r1', handler('r1-stale'), { deferHello: true })
    const live = connectAgent(hub, 'r1', handler('r1-live'))
    await until(() => hub.connected)
    const [liveSession] = hub.status().sessions
    stale.hello()
    await until(() => stale.closes.length > 0)
    expect(stale.closes).toEqual([closeCodeFor('SUPERSEDED')])
    expect(live.closes).toEqual([])
    expect(hub.status().sessions).toEqual([liveSession])
    const res = await hub.pick()!.fetch(get('/x'), null)
    expect(utf8(await readAll(res.body))).toBe('r1-live /x')
    // After hibernation the order holds: a connection made then is newer than the restored one.
    const after = new TunnelHub('c-late')
    after.restore(live.socket)
    const newest = connectAgent(after, 'r1', handler('r1-newest'))
    await until(() => live.closes.length > 0)
    expect(live.closes).toEqual([closeCodeFor('SUPERSEDED')])
    expect(newest.closes).toEqual([])
  })

  it('closes a session silent past the ping timeout, judged by the runtime keepalive answers and messages', async () => {
    const hub = new TunnelHub('c-silent')
    const a = connectAgent(hub, 'r1', handler('r1'))
    await until(() => hub.connected)
    const t0 = Date.now()
    // Keepalives answered by the runtime a moment ago: alive, even with its connect time long past.
    expect(hub.expireSilent(t0 + 120_000, 30_000, () => t0 + 100_000)).toBe(0)
    expect(hub.connected).toBe(true)
    // A message this instance heard counts too.
    expect(hub.expireSilent(t0 + 20_000, 30_000, () => undefined)).toBe(0)
    // Nothing for longer than the timeout: closed with the ping-timeout code, and the hub says disconnected.
    expect(hub.expireSilent(t0 + 60_000, 30_000, () => t0 + 10_000)).toBe(1)
    expect(a.closes).toEqual([closeCodeFor('PING_TIMEOUT')])
    expect(hub.connected).toBe(false)
    // A session restored after hibernation is not kept alive by its restore time alone.
    const b = connectAgent(hub, 'r2', handler('r2'))
    await until(() => hub.connected)
    const after = new TunnelHub('c-silent')
    after.restore(b.socket)
    expect(after.expireSilent(Date.now() + 60_000, 30_000, () => undefined)).toBe(1)
  })

  it('resumes after hibernation: a new hub serves the same socket without reusing stream ids', async () => {
    const before = new TunnelHub('c-five')
    const a = connectAgent(before, 'r1', handler('r1'))
    await until(() => before.connected)
    for (const p of ['/1', '/2']) await readAll((await before.pick()!.fetch(get(p), null)).body)
    // The object was evicted: only the socket and its attachment survive.
    const after = new TunnelHub('c-five')
    a.hubOf.current = after
    after.message(a.socket, 'drover-ping')
    expect(after.connected).toBe(true)
    const res = await after.pick()!.fetch(get('/after-wake'), null)
    expect(res.head.status).toBe(200)
    expect(utf8(await readAll(res.body))).toBe('r1 /after-wake')
  })

  it('after hibernation serves a request that arrives before any agent message', async () => {
    const before = new TunnelHub('c-six')
    const a = connectAgent(before, 'r1', handler('r1'))
    await until(() => before.connected)
    await readAll((await before.pick()!.fetch(get('/warm'), null)).body)
    const after = new TunnelHub('c-six')
    a.hubOf.current = after
    expect(after.connected).toBe(false) // nothing known until the object restores its sockets
    after.restore(a.socket)
    const res = await after.pick()!.fetch(get('/first-after-wake'), null)
    expect(utf8(await readAll(res.body))).toBe('r1 /first-after-wake')
  })
})
