// A tunnel object reset under a live agent session (workerd resets an object on a code update, when it
// breaks, or on `ctx.abort()`): here through `state.abort()` from cloudflare:test, with an agent session
// played by this test over the real upgrade. The agent's socket drops, a request waiting in the object gets
// a clear answer, and after the agent dials again exactly one session — the new one — serves.
import { env, runInDurableObject, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { TunnelSession, type StreamHandler } from '../../protocol/tunnel/index.ts'

const wsHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
const stub = () => env.TUNNEL.get(env.TUNNEL.idFromName('c-one'))
const get = (path: string) => SELF.fetch(`https://edge.test/k8s/clusters/c-one${path}`, { headers: { authorization: 'Bearer token-one:secret' } })

/** Answers `/version` at once and holds `/hold` for ever. */
const handler = (name: string): StreamHandler => ({
  async http(head) {
    if (head.path === '/hold') await new Promise(() => {})
    return { head: { status: 200, headers: [] }, body: new Blob([`${name} ${head.path}`]).stream() }
  },
  async websocket() {
    return { head: { status: 403, headers: [] } }
  },
})

/** An agent session over a real `/v3/connect` upgrade; `closed` resolves with the socket's close code. */
async function dial(name: string) {
  const res = await SELF.fetch('https://edge.test/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1', 'x-api-tunnel-token': 'agent-token-one' } })
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  // Binary messages as ArrayBuffers (a workerd client socket gives Blobs by default).
  ;(ws as unknown as { binaryType: string }).binaryType = 'arraybuffer'
  const session = new TunnelSession({
    role: 'agent',
    handler: handler(name),
    transport: { send: (m) => ws.send(typeof m === 'string' ? m : m.slice()), close: (code, reason) => ws.close(code, reason) },
  })
  ws.addEventListener('message', (ev) => session.receive(ev.data as string | ArrayBuffer))
  const closed = new Promise<number>((resolve) => ws.addEventListener('close', (ev) => resolve(ev.code)))
  const sessionId = `s-${name}-${crypto.randomUUID()}`
  session.sendHello({ agentVersion: '1.0.0', sessionId, replicaId: 'r1' })
  return { ws, session, closed, sessionId }
}

async function sessionsBecome(n: number, streams = 0): Promise<{ sessionId: string }[]> {
  for (let i = 0; i < 200; i++) {
    const { sessions } = await stub().status()
    if (sessions.length === n && sessions.every((s) => s.streams === streams)) return sessions
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`the tunnel never had ${n} sessions with ${streams} streams each`)
}

describe('a tunnel object reset mid-session', () => {
  it('drops the agent socket, answers the waiting request, and serves through exactly one new session', async () => {
    const old = await dial('old')
    await sessionsBecome(1)
    const waiting = get('/hold')
    // The request is in the object, open on the session, when the object goes.
    await sessionsBecome(1, 1)
    await runInDurableObject(stub(), (_instance, state) => state.abort('test: reset')).catch(() => {})
    // The runtime drops the object's sockets with it: no close frame (1006), the agent must dial again.
    expect(await old.closed).toBe(1006)
    const answer = await waiting
    expect(answer.status).toBe(503)
    expect(answer.headers.get('retry-after')).toBe('1')
    expect(await answer.json()).toMatchObject({ type: 'error', status: 503, code: 'ClusterUnavailable', message: expect.stringContaining('reset') })
    expect((await stub().status()).sessions).toEqual([])
    // Whatever the old session still sends goes nowhere: it is no session of the new object.
    old.session.sendFacts({ kubernetesVersion: 'v1.0.0-stale', nodeCount: 1, capacity: {} })
    const fresh = await dial('new')
    const [live] = await sessionsBecome(1)
    expect(live!.sessionId).toBe(fresh.sessionId)
    const res = await get('/version')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('new /version')
    const status = await stub().status()
    expect(status.sessions.map((s) => s.sessionId)).toEqual([fresh.sessionId])
    expect(status.facts).toBeUndefined()
    fresh.ws.close(1000, 'done')
  })
})
