import { describe, expect, it } from 'vitest'
import type { ApiServerFacts } from '../protocol/tunnel/index.ts'
import { flush, ManualClock } from '../test/support/manual-clock.ts'
import { silentLogger } from '../test/support/logger.ts'
import { notReadyResponse, refuseNow, unreadyGate, type HealthView } from './apiserver-gate.ts'
import { ApiServerHealth, readyzMessage, readyzProbe } from './apiserver-health.ts'

// What kube-apiserver's /readyz?verbose answers with etcd stopped (abridged).
const ETCD_DOWN = '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\n[-]etcd-readiness failed: reason withheld\nreadyz check failed\n'

describe('the /readyz probe', () => {
  it('names the failing checks of a 5xx answer, or its status', () => {
    expect(readyzMessage(500, ETCD_DOWN)).toBe('/readyz: etcd, etcd-readiness failed')
    expect(readyzMessage(503, 'gone')).toBe('/readyz answered 503')
  })

  it('reads ready, not ready, no verdict (refused), and unreachable', async () => {
    const answering = (status: number, body = '') => readyzProbe(async (req) => (expect(new URL(req.url).pathname).toBe('/readyz'), new Response(body, { status })))
    expect(await answering(200, 'ok')()).toEqual({ ready: true })
    expect(await answering(500, ETCD_DOWN)()).toEqual({ ready: false, message: '/readyz: etcd, etcd-readiness failed' })
    expect(await answering(403)()).toBeUndefined()
    const refused = readyzProbe(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' })
    })
    expect(await refused()).toMatchObject({ ready: false, message: expect.stringContaining('/readyz unreachable') })
  })

  it('gives up on an apiserver that does not answer', async () => {
    const silent = readyzProbe((req) => new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(req.signal.reason))), 50)
    expect(await silent()).toEqual({ ready: false, message: '/readyz did not answer within 0.05 s' })
  })
})

describe('ApiServerHealth', () => {
  it('takes "not ready" only when a second probe, sent at once, agrees', async () => {
    const clock = new ManualClock()
    const answers: ApiServerFacts[] = [{ ready: true }, { ready: false, message: 'slow' }, { ready: true }, { ready: false, message: 'a' }, { ready: false, message: 'b' }]
    let probes = 0
    const health = new ApiServerHealth({ probe: async () => answers[Math.min(probes++, answers.length - 1)], clock, logger: silentLogger, intervalMs: 5_000 })
    health.start()
    await flush()
    await clock.advance(5_000)
    expect([probes, health.state]).toEqual([3, { ready: true }])
    await clock.advance(5_000)
    expect([probes, health.state]).toEqual([5, { ready: false, message: 'b' }])
    health.stop()
  })

  it('probes every period, tells subscribers of changes only, and probes at once when a request failed', async () => {
    const clock = new ManualClock()
    const answers: ApiServerFacts[] = [{ ready: true }, { ready: true }, { ready: false, message: 'm' }]
    let probes = 0
    const health = new ApiServerHealth({ probe: async () => answers[Math.min(probes++, answers.length - 1)], clock, logger: silentLogger, intervalMs: 5_000 })
    const seen: (ApiServerFacts | undefined)[] = []
    health.subscribe(() => seen.push(health.state))
    health.start()
    await flush()
    expect(health.state).toEqual({ ready: true })
    await clock.advance(5_000)
    expect(probes).toBe(2)
    expect(seen).toEqual([{ ready: true }])
    health.suspect()
    await flush()
    expect(probes).toBe(4) // the failing one and its confirmation
    expect(health.unready).toBe(true)
    expect(seen).toEqual([{ ready: true }, { ready: false, message: 'm' }])
    health.stop()
    expect(clock.pending()).toBe(0)
  })
})

describe('requests while the apiserver is not ready', () => {
  const view = (state: ApiServerFacts | undefined): Omit<HealthView, 'state'> & { state: ApiServerFacts | undefined; set(s: ApiServerFacts): void } => {
    const fns = new Set<() => void>()
    return {
      state,
      get unready() {
        return this.state?.ready === false
      },
      suspect() {},
      subscribe: (fn) => (fns.add(fn), () => void fns.delete(fn)),
      set(s) {
        this.state = s
        for (const fn of fns) fn()
      },
    }
  }

  it('are answered at once with a 503 Status naming what /readyz said, health paths excepted', async () => {
    const down = view({ ready: false, message: '/readyz: etcd failed' })
    expect(refuseNow(down, '/api/v1/namespaces')).toBe(true)
    expect(refuseNow(down, '/readyz?verbose')).toBe(false)
    expect(refuseNow(down, '/version')).toBe(false)
    expect(refuseNow(view({ ready: true }), '/api')).toBe(false)
    expect(refuseNow(view(undefined), '/api')).toBe(false)
    const res = notReadyResponse(down.state)
    expect(res.head.status).toBe(503)
    expect(res.head.headers.map(([k]) => k)).not.toContain('retry-after')
    const body = JSON.parse(await new Response(res.body as ReadableStream).text()) as { reason: string; message: string }
    expect(body.reason).toBe('ServiceUnavailable')
    expect(body.message).toBe("the cluster's kube-apiserver is not ready (/readyz: etcd failed); try again later")
  })

  it('give up a read waiting for its answer when the apiserver turns unready, but never a write', () => {
    const health = view({ ready: true })
    const caller = new AbortController()
    const read = unreadyGate(health, 'GET', '/api/v1/pods', caller.signal)
    const write = unreadyGate(health, 'POST', '/api/v1/namespaces', caller.signal)
    const released = unreadyGate(health, 'GET', '/api/v1/pods?watch=1', caller.signal)
    released.release()
    health.set({ ready: false, message: 'm' })
    expect(read.signal.aborted).toBe(true)
    expect(read.gaveUp()).toBe(true)
    expect(write.signal.aborted).toBe(false)
    expect(released.signal.aborted).toBe(false)
  })
})
