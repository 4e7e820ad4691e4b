import { describe, expect, it } from 'vitest'
import { TunnelError } from './errors.ts'
import { batchFrame, decodeFrame, endFrame, FrameType } from './frame.ts'
import { defaultLimits } from './limits.ts'
import { expectPattern, pattern, readAll, sessionPair, settle, source, text, until, utf8 } from '../../test/support/tunnel-testing.ts'
import type { Identity, RequestHead, StreamHandler } from './types.ts'

const identity: Identity = { user: 'alice@example.com', groups: ['system:authenticated', 'ops'], extra: { 'authentication.kubernetes.io/pod-name': ['x'] } }
const get = (path: string, headers: [string, string][] = []): RequestHead => ({ method: 'GET', path, headers, identity })
const noWs: StreamHandler['websocket'] = async () => ({ head: { status: 404, headers: [] }, body: null })
const handler = (http: StreamHandler['http']): StreamHandler => ({ http, websocket: noWs })
const never = <T>(): Promise<T> => new Promise<T>(() => {})

const immediate = (flush: () => void): void => void setImmediate(flush)
const messageTypes = (log: (Uint8Array | string)[]): (number | number[])[] =>
  log.filter((m): m is Uint8Array => typeof m !== 'string').map((m) => {
    const d = decodeFrame(m, defaultLimits)
    if (!d.ok) throw new Error(d.error.message)
    return d.frame.type === FrameType.BATCH ? d.frame.frames.map((f) => f[0]!) : d.frame.type
  })

describe('BATCH frames', () => {
  const small = handler(async (head) => ({ head: { status: 200, headers: [['content-type', 'text/plain']] }, body: source([text(`hello ${head.path}`)]).body }))

  it('carry a small answer (head, body, end) as one message once both sides accept them', async () => {
    const { edge, agent, toAgent, toEdge } = sessionPair({ handler: small, edge: { batch: immediate }, agent: { batch: immediate } })
    agent.sendHello({ agentVersion: '1', sessionId: 's', replicaId: 'r', features: ['batch'] })
    await until(() => edge.hello !== undefined)
    toAgent.keepLog = toEdge.keepLog = true
    const [a, b] = await Promise.all([edge.fetch(get('/a'), null), edge.fetch(get('/b'), null)])
    // Each answer arrived whole with its head, so it can be taken as bytes, without a stream.
    expect(utf8(a.whole()!)).toBe('hello /a')
    expect(utf8(await readAll(b.body))).toBe('hello /b')
    expect(b.whole()).toBeNull()
    // Both requests' heads went out in one message, and each answer came back in one.
    expect(messageTypes(toAgent.log)).toEqual([[FrameType.REQUEST_HEAD, FrameType.REQUEST_HEAD]])
    const answers = messageTypes(toEdge.log).flat()
    expect(answers.filter((t) => t === FrameType.RESPONSE_HEAD)).toHaveLength(2)
    expect(toEdge.log.length).toBeLessThan(answers.length)
  })

  it('are never sent to an agent whose hello does not accept them', async () => {
    const { edge, agent, toAgent } = sessionPair({ handler: small, edge: { batch: immediate } })
    agent.sendHello({ agentVersion: '1', sessionId: 's', replicaId: 'r' })
    await until(() => edge.hello !== undefined)
    toAgent.keepLog = true
    const [a] = await Promise.all([edge.fetch(get('/a'), null), edge.fetch(get('/b'), null)])
    expect(messageTypes(toAgent.log)).toEqual([FrameType.REQUEST_HEAD, FrameType.REQUEST_HEAD])
    expect(utf8(await readAll(a.body))).toBe('hello /a')
  })

  it('keep bulk bodies intact and in order, large frames going out on their own', async () => {
    const total = 8 * 1024 * 1024
    const { edge, agent, toEdge } = sessionPair({
      handler: handler(async (_head, body) => ({ head: { status: 200, headers: [] }, body })),
      edge: { batch: immediate },
      agent: { batch: immediate },
    })
    agent.sendHello({ agentVersion: '1', sessionId: 's', replicaId: 'r', features: ['batch'] })
    await until(() => edge.hello !== undefined)
    toEdge.keepLog = true
    // Small chunks of an odd size: DATA frames are batched with WINDOW frames and each other.
    const res = await edge.fetch({ ...get('/echo'), method: 'POST' }, source(pattern(total, 3 * 1024 + 7)).body)
    await expectPattern(res.body, total)
    expect(messageTypes(toEdge.log).some((t) => Array.isArray(t))).toBe(true)
  })

  it('refuse a batch that does not add up, or one nested in another, closing the session', () => {
    const inner = endFrame(1)
    const good = batchFrame([inner, inner])
    expect(decodeFrame(good, defaultLimits).ok).toBe(true)
    expect(decodeFrame(good.subarray(0, good.byteLength - 1), defaultLimits).ok).toBe(false)
    const nested = batchFrame([good])
    const r = decodeFrame(nested, defaultLimits)
    expect(r.ok ? r : r.error).toMatchObject({ code: 'PROTOCOL_ERROR', message: 'BATCH inside a BATCH' })
    const lying = good.slice()
    new DataView(lying.buffer).setUint32(5, 1000)
    expect(decodeFrame(lying, defaultLimits).ok).toBe(false)
  })
})

describe('TunnelSession over an in-memory socket', () => {
  it('round-trips a GET with repeated headers and the identity', async () => {
    let seen: { head: RequestHead; body: ReadableStream<Uint8Array> | null } | undefined
    const { edge } = sessionPair({
      handler: handler(async (head, body) => {
        seen = { head, body }
        return { head: { status: 200, headers: [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] }, body: source([text('hello '), text('world')]).body }
      }),
    })
    const head = get('/api/v1/namespaces/default/pods?limit=5', [['accept', 'application/json'], ['x-multi', '1'], ['x-multi', '2']])
    const res = await edge.fetch(head, null)
    expect(res.head).toEqual({ status: 200, headers: [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] })
    expect(utf8(await readAll(res.body))).toBe('hello world')
    expect(seen?.head).toEqual(head)
    expect(seen?.body).toBeNull()
    await until(() => edge.streamCount === 0)
  })

  it('carries a 20 MiB body both ways intact, streaming, with bounded buffers', async () => {
    const total = 20 * 1024 * 1024
    let agentBuffered = 0
    const { edge, agent } = sessionPair({
      // Echo: the request body is piped straight back as the response body.
      handler: handler(async (_head, body) => ({ head: { status: 200, headers: [] }, body })),
    })
    const up = source(pattern(total, 64 * 1024 + 3))
    const res = await edge.fetch({ ...get('/echo'), method: 'POST' }, up.body)
    let maxAhead = 0
    let maxEdgeBuffered = 0
    await expectPattern(res.body, total, (got) => {
      maxAhead = Math.max(maxAhead, up.pulled() - got)
      maxEdgeBuffered = Math.max(maxEdgeBuffered, edge.bufferedBytes)
      agentBuffered = Math.max(agentBuffered, agent.bufferedBytes)
    })
    // Streamed: the source is never far ahead of the consumer (two windows in between plus a chunk).
    expect(maxAhead).toBeLessThanOrEqual(2 * defaultLimits.streamWindow + 64 * 1024 + 3)
    expect(maxEdgeBuffered).toBeLessThanOrEqual(defaultLimits.streamWindow)
    expect(agentBuffered).toBeLessThanOrEqual(defaultLimits.streamWindow)
    await until(() => edge.streamCount === 0 && agent.streamCount === 0)
  })

  it('grows the window of a stream whose reader keeps up, to maxStreamWindow at most', async () => {
    const total = 16 * 1024 * 1024
    const { edge, toAgent } = sessionPair({ handler: handler(async () => ({ head: { status: 200, headers: [] }, body: source(pattern(total, 64 * 1024)).body })) })
    toAgent.keepLog = true
    const res = await edge.fetch(get('/fast'), null)
    let maxBuffered = 0
    await expectPattern(res.body, total, () => (maxBuffered = Math.max(maxBuffered, edge.bufferedBytes)))
    const increments = toAgent.log.flatMap((m) => {
      const d = typeof m === 'string' ? undefined : decodeFrame(m, defaultLimits)
      return d?.ok && d.frame.type === FrameType.WINDOW ? [d.frame.increment] : []
    })
    // Credit beyond the start window was granted, and what the edge held never exceeded the largest window.
    expect(Math.max(...increments)).toBeGreaterThan(defaultLimits.streamWindow)
    expect(maxBuffered).toBeLessThanOrEqual(defaultLimits.maxStreamWindow)
    await until(() => edge.streamCount === 0)
  })

  it('lets windows grown by readers that then stall hold at most half the session budget, so other bodies still flow', async () => {
    const MiB = 1024 * 1024
    const edgeLimits = { sessionBufferBytes: 4 * MiB, maxStreamWindow: 2 * MiB }
    const { edge } = sessionPair({
      edgeLimits,
      handler: handler(async (head) => ({ head: { status: 200, headers: [] }, body: source(pattern(head.path === '/medium' ? 2 * MiB : 256 * MiB, 64 * 1024)).body })),
    })
    const stalled: ReadableStreamDefaultReader<Uint8Array>[] = []
    for (let i = 0; i < 4; i++) {
      const reader = (await edge.fetch(get('/big'), null)).body.getReader()
      // Read fast for a while (the window grows), then stop reading altogether.
      for (let got = 0; got < 6 * MiB; ) got += (await reader.read()).value!.byteLength
      stalled.push(reader)
    }
    await settle(200)
    expect(edge.bufferedBytes).toBeLessThanOrEqual(edgeLimits.sessionBufferBytes / 2 + 4 * defaultLimits.streamWindow)
    const medium = await edge.fetch(get('/medium'), null)
    expect((await readAll(medium.body)).byteLength).toBe(2 * MiB)
    for (const r of stalled) await r.cancel()
  }, 20_000)

  it('does not let a reader that never reads block another stream, and holds at most its window', async () => {
    const slow = source(pattern(8 * 1024 * 1024, 16 * 1024))
    const { edge, agent } = sessionPair({
      handler: handler(async (head) =>
        head.path === '/slow'
          ? { head: { status: 200, headers: [] }, body: slow.body }
          : { head: { status: 200, headers: [] }, body: source([text('small')]).body },
      ),
    })
    const stuck = await edge.fetch(get('/slow'), null)
    await settle(50)
    const small = await edge.fetch(get('/small'), null)
    expect(utf8(await readAll(small.body))).toBe('small')
    await settle(50)
    expect(edge.bufferedBytes).toBeLessThanOrEqual(defaultLimits.streamWindow)
    expect(edge.bufferedBytes).toBeGreaterThan(0)
    // The agent read only what the window allowed (plus the chunk it was splitting).
    expect(slow.pulled()).toBeLessThanOrEqual(defaultLimits.streamWindow + 16 * 1024)
    expect(agent.streamCount).toBe(1)
    await stuck.body.cancel()
    await until(() => agent.streamCount === 0 && edge.bufferedBytes === 0)
    expect(slow.cancelled()).toBeDefined()
  })

  it('withholds grants while the session budget is used up, and resumes them', async () => {
    const budget = 512 * 1024
    const total = 1024 * 1024
    const bodies = Array.from({ length: 4 }, () => source(pattern(total, 8 * 1024)))
    const { edge } = sessionPair({
      limits: { sessionBufferBytes: budget },
      handler: handler(async (head) => ({ head: { status: 200, headers: [] }, body: bodies[Number(head.path.slice(1))]!.body })),
    })
    const res = await Promise.all([0, 1, 2, 3].map((i) => edge.fetch(get(`/${i}`), null)))
    const readers = res.map((r) => r.body.getReader())
    await settle(50)
    // Every stream filled its initial window; each consumer now takes half of it and stops.
    expect(edge.bufferedBytes).toBe(4 * defaultLimits.streamWindow)
    const taken: number[] = []
    for (const reader of readers) {
      let got = 0
      while (got < defaultLimits.streamWindow / 2) got += (await reader.read()).value!.byteLength
      taken.push(got)
    }
    await settle(50)
    // Without the budget each stream would have been topped up to its window again (1 MiB in all).
    expect(edge.bufferedBytes).toBeLessThanOrEqual(budget)
    readers.forEach((r) => r.releaseLock())
    // Reading on frees the budget; withheld grants resume and every body completes intact.
    const rest = await Promise.all(res.map((r) => readAll(r.body)))
    expect(rest.map((b, i) => b.byteLength + taken[i]!)).toEqual(Array(4).fill(total))
    expect(edge.bufferedBytes).toBe(0)
  })

  it('serves many concurrent streams', async () => {
    const { edge, agent } = sessionPair({
      handler: handler(async (head, body) => {
        const got = await readAll(body)
        return { head: { status: 200, headers: [['x-len', String(got.length)]] }, body: source(pattern(Number(head.path.slice(1)), 1000)).body }
      }),
    })
    const sizes = Array.from({ length: 300 }, (_, i) => (i * 7919) % 100_000)
    const results = await Promise.all(
      sizes.map(async (size, i) => {
        const res = await edge.fetch({ ...get(`/${size}`), method: 'PUT' }, i % 2 ? source(pattern(i * 100, 333)).body : null)
        expect(res.head.headers).toEqual([['x-len', String(i % 2 ? i * 100 : 0)]])
        return expectPattern(res.body, size)
      }),
    )
    expect(results).toEqual(sizes)
    await until(() => edge.streamCount === 0 && agent.streamCount === 0)
  })

  it('refuses streams beyond maxStreams on either side', async () => {
    const { edge } = sessionPair({ agentLimits: { maxStreams: 2 }, edgeLimits: { maxStreams: 3 }, handler: handler(never) })
    edge.fetch(get('/1'), null).catch(() => {})
    edge.fetch(get('/2'), null).catch(() => {})
    const third = edge.fetch(get('/3'), null)
    await expect(third).rejects.toMatchObject({ code: 'TOO_MANY_STREAMS', retryable: true })
    await settle()
    expect(edge.streamCount).toBe(2)
    // The edge counts it until the agent's RESET arrives; its own cap of 3 refuses the next at once.
    edge.fetch(get('/4'), null).catch(() => {})
    await expect(edge.fetch(get('/5'), null)).rejects.toMatchObject({ code: 'TOO_MANY_STREAMS' })
  })

  it('rejects a request head over maxHeadBytes before sending it', async () => {
    const { edge } = sessionPair({ limits: { maxHeadBytes: 1024 }, handler: handler(never) })
    await expect(edge.fetch(get('/', [['x-big', 'x'.repeat(2000)]]), null)).rejects.toMatchObject({ code: 'HEAD_TOO_LARGE' })
    expect(edge.streamCount).toBe(0)
  })

  it('delivers an edge abort to the agent handler signal', async () => {
    let signal: AbortSignal | undefined
    const { edge, agent } = sessionPair({
      handler: handler(async (_head, _body, s) => {
        signal = s
        return never()
      }),
    })
    const client = new AbortController()
    const pending = edge.fetch(get('/watch'), null, client.signal)
    await until(() => signal !== undefined)
    client.abort()
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
    await until(() => signal!.aborted)
    expect(signal!.reason).toBeInstanceOf(TunnelError)
    expect(signal!.reason).toMatchObject({ code: 'CANCELLED' })
    await until(() => agent.streamCount === 0)
  })

  it('aborting mid-body errors the body and cancels the agent source', async () => {
    const body = source(pattern(50 * 1024 * 1024, 32 * 1024))
    const { edge, agent } = sessionPair({ handler: handler(async () => ({ head: { status: 200, headers: [] }, body: body.body })) })
    const client = new AbortController()
    const res = await edge.fetch(get('/logs'), null, client.signal)
    const reader = res.body.getReader()
    await reader.read()
    client.abort()
    await expect(reader.read()).rejects.toMatchObject({ code: 'CANCELLED' })
    await until(() => body.cancelled() !== undefined && agent.streamCount === 0)
  })

  it('fails in-flight fetches and open bodies at once when the session closes', async () => {
    const closed: TunnelError[] = []
    const signals: AbortSignal[] = []
    const { edge, agent } = sessionPair({
      edge: { onClose: (e) => closed.push(e) },
      handler: handler(async (head, _body, signal) => {
        signals.push(signal)
        if (head.path === '/hang') return never()
        return { head: { status: 200, headers: [] }, body: source(pattern(10 * 1024 * 1024, 1024)).body }
      }),
    })
    const streaming = await edge.fetch(get('/stream'), null)
    const reader = streaming.body.getReader()
    await reader.read()
    const hanging = edge.fetch(get('/hang'), null)
    hanging.catch(() => {})
    await until(() => signals.length === 2)
    edge.close('SUPERSEDED', 'a newer agent session replaced this one')
    const failures = await Promise.allSettled([hanging, reader.read()])
    for (const f of failures) {
      expect(f.status).toBe('rejected')
      const e = (f as PromiseRejectedResult).reason
      expect(e).toBeInstanceOf(TunnelError)
      expect(e).toMatchObject({ code: 'SUPERSEDED', retryable: true })
    }
    expect(closed).toHaveLength(1)
    expect(edge.closed).toBe(true)
    expect(edge.streamCount).toBe(0)
    await expect(edge.fetch(get('/'), null)).rejects.toMatchObject({ code: 'SESSION_CLOSED', retryable: true })
    // The agent heard the GOAWAY and failed its side too.
    await until(() => agent.closed && signals.every((s) => s.aborted))
  })

  it('maps handler failures to a reset with the handler error code', async () => {
    const { edge } = sessionPair({
      handler: handler(async (head) => {
        if (head.path === '/down') throw new TunnelError('UPSTREAM_UNREACHABLE', 'connect ECONNREFUSED')
        throw new Error('boom')
      }),
    })
    await expect(edge.fetch(get('/down'), null)).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE', message: 'connect ECONNREFUSED', retryable: true })
    await expect(edge.fetch(get('/bug'), null)).rejects.toMatchObject({ code: 'INTERNAL' })
  })

  it('keeps a complete response when the agent stops an unread request body', async () => {
    const up = source(pattern(30 * 1024 * 1024, 64 * 1024))
    const { edge, agent } = sessionPair({
      handler: handler(async (_head, body) => {
        await body!.cancel()
        return { head: { status: 413, headers: [] }, body: source([text('too large')]).body }
      }),
    })
    const res = await edge.fetch({ ...get('/upload'), method: 'POST' }, up.body)
    expect(res.head.status).toBe(413)
    expect(utf8(await readAll(res.body))).toBe('too large')
    await until(() => edge.streamCount === 0 && agent.streamCount === 0 && up.cancelled() !== undefined)
    expect(up.pulled()).toBeLessThan(30 * 1024 * 1024)
  })
})
