import { describe, expect, it } from 'vitest'
import type { Clock } from '../../protocol/tunnel/clock.ts'
import type { Authenticator, Principal } from './authenticator.ts'
import { guardProxied, guardResponse, recheckEvery, REVOKED_CLOSE_CODE, SMALL_BODY_BYTES } from './stream-guard.ts'

/** Timers that fire only when told to. */
function manualTimers() {
  const pending = new Map<number, () => void>()
  let next = 0
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      pending.set(++next, fn)
      return next
    },
    clearTimeout: (h) => void pending.delete(h as number),
  }
  return {
    clock,
    pending: () => pending.size,
    /** Fires every pending timer once and lets the checks they start settle. */
    async fire() {
      const fns = [...pending.values()]
      pending.clear()
      for (const fn of fns) fn()
      await new Promise((r) => setTimeout(r, 0))
    },
  }
}

/** A body that never ends by itself, like a watch; `cancelled` resolves when its reader gives up. */
function endlessBody() {
  let cancelled!: () => void
  const wasCancelled = new Promise<void>((r) => (cancelled = r))
  const body = new ReadableStream<Uint8Array>({
    pull: async (ctrl) => {
      await new Promise((r) => setTimeout(r, 5))
      ctrl.enqueue(new TextEncoder().encode('{"type":"BOOKMARK"}\n'))
    },
    cancel: () => cancelled(),
  })
  return { body, wasCancelled }
}

describe('recheckEvery', () => {
  it('checks only once an interval has passed, again after each success, and reports a failure once', async () => {
    const t = manualTimers()
    let valid = true
    let checks = 0
    let invalid = 0
    recheckEvery({ stillValid: async () => (checks++, valid), clock: t.clock }, () => invalid++)
    expect(checks).toBe(0)
    await t.fire()
    await t.fire()
    expect([checks, invalid, t.pending()]).toEqual([2, 0, 1])
    valid = false
    await t.fire()
    expect([checks, invalid, t.pending()]).toEqual([3, 1, 0])
  })

  it('fails closed when the check throws, and stop() leaves no timer behind', async () => {
    const t = manualTimers()
    let invalid = 0
    recheckEvery({ stillValid: () => Promise.reject(new Error('token state unreachable')), clock: t.clock }, () => invalid++)
    await t.fire()
    expect(invalid).toBe(1)
    const stop = recheckEvery({ stillValid: async () => true, clock: t.clock }, () => invalid++)
    expect(t.pending()).toBe(1)
    stop()
    stop()
    expect(t.pending()).toBe(0)
  })
})

describe('guardResponse', () => {
  it('leaves a body of known small length as it is (it ends on its own), but guards a larger one', async () => {
    const small = new Response('{"kind":"Pod"}', { headers: { 'content-length': '14' } })
    expect(guardResponse(small, { stillValid: async () => false, intervalMs: 10 })).toBe(small)
    const large = new Response(new ReadableStream(), { headers: { 'content-length': String(SMALL_BODY_BYTES + 1) } })
    expect(guardResponse(large, { stillValid: async () => false, intervalMs: 10 })).not.toBe(large)
    const unknown = new Response(new ReadableStream())
    expect(guardResponse(unknown, { stillValid: async () => false, intervalMs: 10 })).not.toBe(unknown)
  })

  it('passes a stream through while the credential holds and ends it when it fails', async () => {
    const { body, wasCancelled } = endlessBody()
    let valid = true
    const res = guardResponse(new Response(body, { headers: { 'content-type': 'application/json' } }), { stillValid: async () => valid, intervalMs: 10 })
    expect(res.headers.get('content-type')).toBe('application/json')
    const reader = res.body!.getReader()
    for (let i = 0; i < 5; i++) expect((await reader.read()).done).toBe(false)
    valid = false
    // Ends cleanly, as the apiserver ends a watch: the client re-requests and is refused.
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return 'done'
    })().catch(() => 'errored')
    expect(await ended).toBe('done')
    await wasCancelled // the tunnel stream it read from is cancelled too
  })

  it('ends an idle stream too (a watch with nothing to say, its read pending)', async () => {
    let cancelled = false
    const idle = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}), cancel: () => void (cancelled = true) })
    let valid = true
    const res = guardResponse(new Response(idle), { stillValid: async () => valid, intervalMs: 10 })
    const read = res.body!.getReader().read()
    await new Promise((r) => setTimeout(r, 30))
    valid = false
    expect((await read).done).toBe(true)
    expect(cancelled).toBe(true)
  })

  it('passes a failure of the stream itself on as a failure, not as a clean end', async () => {
    let sent = false
    const body = new ReadableStream<Uint8Array>({
      pull: (ctrl) => {
        if (sent) return ctrl.error(new Error('tunnel dropped'))
        sent = true
        ctrl.enqueue(new TextEncoder().encode('{"items":['))
      },
    })
    const res = guardResponse(new Response(body), { stillValid: async () => true, intervalMs: 10_000 })
    await expect(res.text()).rejects.toThrow()
  })

  it('stops checking once a short body has ended', async () => {
    let checks = 0
    const res = guardResponse(new Response('{"kind":"Status"}'), { stillValid: async () => (checks++, true), intervalMs: 10 })
    expect(await res.text()).toBe('{"kind":"Status"}')
    await new Promise((r) => setTimeout(r, 50))
    expect(checks).toBe(0)
  })

  it('bridges a WebSocket both ways and closes both sides with 1008 when the credential fails', async () => {
    const tunnel = new WebSocketPair()
    const [forClient, agentSide] = [tunnel[0], tunnel[1]]
    agentSide.accept()
    let valid = true
    const res = guardResponse(new Response(null, { status: 101, webSocket: forClient, headers: { 'sec-websocket-protocol': 'v5.channel.k8s.io' } }), { stillValid: async () => valid, intervalMs: 10 })
    expect(res.status).toBe(101)
    expect(res.headers.get('sec-websocket-protocol')).toBe('v5.channel.k8s.io')
    const client = res.webSocket!
    client.accept()
    const fromAgent = new Promise<unknown>((r) => client.addEventListener('message', (e) => r(e.data), { once: true }))
    const fromClient = new Promise<unknown>((r) => agentSide.addEventListener('message', (e) => r(e.data), { once: true }))
    agentSide.send('stdout')
    client.send('stdin')
    expect(await fromAgent).toBe('stdout')
    expect(await fromClient).toBe('stdin')

    const clientClosed = new Promise<number>((r) => client.addEventListener('close', (e) => r(e.code)))
    const agentClosed = new Promise<number>((r) => agentSide.addEventListener('close', (e) => r(e.code)))
    valid = false
    expect(await clientClosed).toBe(REVOKED_CLOSE_CODE)
    expect(await agentClosed).toBe(REVOKED_CLOSE_CODE)
  })

  it('closes the client when the tunnel side closes first, and stops checking', async () => {
    const tunnel = new WebSocketPair()
    tunnel[1].accept()
    let checks = 0
    const res = guardResponse(new Response(null, { status: 101, webSocket: tunnel[0] }), { stillValid: async () => (checks++, true), intervalMs: 10 })
    const client = res.webSocket!
    client.accept()
    const closed = new Promise<number>((r) => client.addEventListener('close', (e) => r(e.code)))
    tunnel[1].close(4000, 'exec finished')
    expect(await closed).toBe(4000)
    const after = checks
    await new Promise((r) => setTimeout(r, 50))
    expect(checks).toBe(after)
  })
})

describe('guardProxied', () => {
  const principal = (token?: string): Principal => ({
    identity: { user: 'u-1', groups: [], extra: {} },
    clusters: '*',
    ...(token ? { token: { name: token, kind: 'session' as const, userId: 'u-1', username: 'one', authProvider: 'local', principalIds: [] } } : {}),
  })
  const request = (credential: string) => new Request('https://edge.test/k8s/clusters/c-1/api/v1/pods?watch=1', { headers: { authorization: `Bearer ${credential}` } })

  it('leaves responses to credentials that cannot be revoked as they are', () => {
    const res = new Response('{}')
    const authenticator: Authenticator = { user: async () => principal(), agent: async () => null }
    expect(guardProxied(res, request('runner-secret'), principal(), authenticator)).toBe(res)
  })

  it('re-authenticates the same credential, and ends the stream once it no longer names the same token', async () => {
    const { body } = endlessBody()
    const seen: string[] = []
    let answer: Principal | null = principal('token-abcde')
    const authenticator: Authenticator = { user: async (c) => (seen.push(c), answer), agent: async () => null }
    const res = guardProxied(new Response(body), request('token-abcde:jwt'), principal('token-abcde'), authenticator, { intervalMs: 10 })
    const reader = res.body!.getReader()
    await new Promise((r) => setTimeout(r, 40))
    expect(seen.length).toBeGreaterThan(0)
    expect(new Set(seen)).toEqual(new Set(['token-abcde:jwt']))
    answer = null
    for (;;) if ((await reader.read()).done) break
  })
})
