// What `/v3/connect` answers a reconnecting agent, sampled at a fixed interval during bench:scale's restart
// storm: the HTTP status of each upgrade attempt (101 accepted, 401 refused, 429/503 shed, 0 no answer)
// and whether a refusal said when to come back (Retry-After).
import WebSocket from 'ws'
import { TUNNEL_SUBPROTOCOL } from '../protocol/tunnel/index.ts'
import type { TestEdge } from '../test/support/proxy-fixture.ts'

export interface ConnectProbe {
  stop(): Promise<{ statuses: Map<number, number>; retryAfter: number; first101Ms: number }>
}

function attempt(edge: TestEdge, token: string): Promise<{ status: number; retryAfter: boolean }> {
  return new Promise((resolve) => {
    const url = new URL('/v3/connect', edge.url)
    url.protocol = 'wss:'
    const ws = new WebSocket(url, TUNNEL_SUBPROTOCOL, { headers: { 'X-API-Tunnel-Token': token }, ca: edge.caPem, handshakeTimeout: 10_000 })
    let settled = false
    const done = (status: number, retryAfter = false) => {
      if (settled) return
      settled = true
      resolve({ status, retryAfter })
    }
    ws.on('unexpected-response', (_req, res) => {
      done(res.statusCode ?? 0, res.headers['retry-after'] !== undefined)
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      done(101)
      ws.close(1000, 'probe')
    })
    ws.on('error', () => done(0))
    ws.on('close', () => done(0))
  })
}

/** Tries an upgrade every `intervalMs` (one at a time) until stopped. */
export function probeConnect(edge: TestEdge, token: string, intervalMs: number): ConnectProbe {
  const statuses = new Map<number, number>()
  let retryAfter = 0
  let first101Ms = NaN
  let running = true
  const started = performance.now()
  const loop = (async () => {
    while (running) {
      const r = await attempt(edge, token)
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      if (r.retryAfter) retryAfter++
      if (r.status === 101 && Number.isNaN(first101Ms)) first101Ms = performance.now() - started
      await new Promise((res) => setTimeout(res, intervalMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { statuses, retryAfter, first101Ms }
    },
  }
}
