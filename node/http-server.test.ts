import { Counter } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { parseListenAddress, startProbeServer, type ProbeServer } from './http-server.ts'
import { processRegistry } from './metrics.ts'

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':9090', { host: '0.0.0.0', port: 9090 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
  ])('%s', (addr, want) => expect(parseListenAddress(addr)).toEqual(want))

  it.each(['8080', 'host:', 'host:65536', 'a:b:1', '[::1]', 'host:123456'])('refuses %j', (addr) => {
    expect(() => parseListenAddress(addr)).toThrow(RangeError)
  })
})

describe('startProbeServer', () => {
  let server: ProbeServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves health, readiness as the predicate says, and the registry', async () => {
    const registry = processRegistry('drover_test_')
    new Counter({ name: 'drover_test_things_total', help: 'Things.', registers: [registry] }).inc(3)
    let ready = false
    server = await startProbeServer({ host: '127.0.0.1', port: 0 }, registry, () => ready, 'caches not synced')
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const get = (path: string, init?: RequestInit) => fetch(`${server!.url}${path}`, init)

    expect(await (await get('/healthz')).text()).toBe('ok\n')
    const notReady = await get('/readyz')
    expect([notReady.status, await notReady.text()]).toEqual([503, 'caches not synced\n'])
    ready = true
    expect((await get('/readyz')).status).toBe(200)

    const metrics = await get('/metrics')
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    expect(text).toContain('drover_test_things_total 3')
    expect(text).toMatch(/^drover_test_process_resident_memory_bytes \d+/m)

    expect((await get('/nope')).status).toBe(404)
    expect((await get('/healthz', { method: 'POST' })).status).toBe(405)
  })

  it('reports a port in use as the listen error', async () => {
    server = await startProbeServer({ host: '127.0.0.1', port: 0 }, processRegistry('drover_test_'), () => true)
    const port = Number(new URL(server.url).port)
    await expect(startProbeServer({ host: '127.0.0.1', port }, processRegistry('drover_test_'), () => true)).rejects.toThrow(/EADDRINUSE/)
  })
})

describe('processRegistry', () => {
  it('refuses a prefix that would make invalid metric names', () => {
    expect(() => processRegistry('drover-runner_')).toThrow(RangeError)
    expect(() => processRegistry('drover_runner')).toThrow(RangeError)
  })
})
