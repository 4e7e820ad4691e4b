import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { MAX_AGENT_SOCKETS } from './cluster-tunnel.ts'

const wsHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
const connect = () => SELF.fetch('https://edge.test/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1', 'x-api-tunnel-token': 'agent-token-one' } })

describe('agent sockets per cluster', () => {
  it(`are capped at ${MAX_AGENT_SOCKETS}: one more gets 429 with an error body, not a socket`, async () => {
    const open: WebSocket[] = []
    let refused: Response | undefined
    for (let i = 0; i <= MAX_AGENT_SOCKETS && !refused; i++) {
      const res = await connect()
      if (res.status === 101) {
        res.webSocket!.accept()
        open.push(res.webSocket!)
      } else refused = res
    }
    expect(open.length).toBeLessThanOrEqual(MAX_AGENT_SOCKETS)
    expect(refused?.status).toBe(429)
    expect(await refused!.json()).toMatchObject({ type: 'error', code: 'TooManyAgents' })
    for (const ws of open) ws.close(1000, 'done')
  })
})
