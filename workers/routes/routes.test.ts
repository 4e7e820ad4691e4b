import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

const edge = (path: string, init?: RequestInit) => SELF.fetch(`https://edge.test${path}`, init)
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
const wsHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }

describe('/k8s/clusters/:id in workerd', () => {
  it('requires a credential, with a Rancher error body', async () => {
    const res = await edge('/k8s/clusters/c-one/version')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ type: 'error', status: 401, code: 'Unauthorized', message: 'must authenticate' })
  })

  it('accepts Bearer, Basic and the R_SESS cookie, and refuses tokens in the query string', async () => {
    for (const headers of [bearer('token-all:secret'), { authorization: `Basic ${btoa('token-all:secret')}` }, { cookie: 'a=b; R_SESS=token-all%3Asecret' }]) {
      const res = await edge('/k8s/clusters/c-nowhere/version', { headers })
      expect(res.status).toBe(503) // authenticated; no agent for that cluster
      expect(await res.json()).toMatchObject({ code: 'ClusterUnavailable' })
    }
    expect((await edge('/k8s/clusters/c-one/version?token=token-all:secret')).status).toBe(400)
    expect((await edge('/k8s/clusters/c-one/version', { headers: bearer('token-all:wrong') })).status).toBe(401)
  })

  it('holds a scoped credential to its cluster', async () => {
    const res = await edge('/k8s/clusters/c-two/version', { headers: bearer('token-one:secret') })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ type: 'error', code: 'PermissionDenied' })
  })

  it('refuses SPDY upgrades with a message naming the WebSocket alternative', async () => {
    const res = await edge('/k8s/clusters/c-one/api/v1/namespaces/default/pods/p/exec?command=true', {
      method: 'POST',
      headers: { ...bearer('token-all:secret'), connection: 'Upgrade', upgrade: 'SPDY/3.1' },
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { message: string }
    expect(body.message).toMatch(/only WebSocket/)
    expect(body.message).toMatch(/KUBECTL_REMOTE_COMMAND_WEBSOCKETS/)
  })
})

describe('/v3/connect in workerd', () => {
  it('wants a WebSocket upgrade, the tunnel subprotocol and a valid agent token', async () => {
    expect((await edge('/v3/connect')).status).toBe(426)
    expect((await edge('/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'other', 'x-api-tunnel-token': 'agent-token-one' } })).status).toBe(400)
    const noToken = await edge('/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1' } })
    expect(noToken.status).toBe(401)
    const wrong = await edge('/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1', 'x-api-tunnel-token': 'nope' } })
    expect(wrong.status).toBe(401)
  })

  it('asks an agent to come back (503, Retry-After) when its registration cannot be checked, rather than refusing it', async () => {
    // No agent for `local` here: the management cluster, where registration Secrets live, cannot be asked,
    // as after an edge restart until `local`'s agent is back. A 401 would send the agent to its longest backoff.
    const res = await edge('/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1', 'x-api-tunnel-token': 'c-one:a-registration-token' } })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('2')
    expect(await res.json()).toMatchObject({ code: 'ServiceUnavailable' })
  })

  it('accepts an agent with a valid token into its cluster’s tunnel', async () => {
    const res = await edge('/v3/connect', { headers: { ...wsHeaders, 'sec-websocket-protocol': 'drover.tunnel.v1', 'x-api-tunnel-token': 'agent-token-one' } })
    expect(res.status).toBe(101)
    expect(res.headers.get('sec-websocket-protocol')).toBe('drover.tunnel.v1')
    res.webSocket!.accept()
    res.webSocket!.close(1000, 'done')
  })

  it('takes the cluster from a percent-encoded id without garbling the path', async () => {
    const res = await edge('/k8s/clusters/%63-none/version', { headers: bearer('token-one:secret') })
    // Decoded, the id is c-none: outside this credential's scope, so the scope check sees the real id.
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ message: 'this credential is not valid for cluster c-none' })
  })
})

describe('DELETE /v3/connect/:id (the runner drops a deleted cluster\'s agents)', () => {
  it('is for the runner only', async () => {
    const anon = await edge('/v3/connect/c-one', { method: 'DELETE' })
    expect(anon.status).toBe(401)
    const user = await edge('/v3/connect/c-one', { method: 'DELETE', headers: bearer('token-all:secret') })
    expect(user.status).toBe(403)
    expect(await user.json()).toMatchObject({ type: 'error', code: 'PermissionDenied' })
  })

  it('closes the cluster\'s agent sockets for the runner', async () => {
    const runner = env.DROVER_RUNNER_TOKEN!
    const up = await edge('/v3/connect', { headers: { ...wsHeaders, 'x-api-tunnel-token': 'agent-token-one', 'sec-websocket-protocol': 'drover.tunnel.v1' } })
    expect(up.status).toBe(101)
    const ws = up.webSocket!
    ws.accept()
    const closed = new Promise<number>((r) => ws.addEventListener('close', (e) => r(e.code)))
    const res = await edge('/v3/connect/c-one', { method: 'DELETE', headers: bearer(runner) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ clusterId: 'c-one', closed: 1 })
    expect(await closed).toBe(4003)
  })
})

describe('DELETE /v3/system/tokens/:name (the runner saw a Token CR go)', () => {
  it('is for the runner only, and checks the name', async () => {
    expect((await edge('/v3/system/tokens/token-abcde', { method: 'DELETE' })).status).toBe(401)
    expect((await edge('/v3/system/tokens/token-abcde', { method: 'DELETE', headers: bearer('token-all:secret') })).status).toBe(403)
    const runner = env.DROVER_RUNNER_TOKEN!
    expect((await edge('/v3/system/tokens/not-a-token', { method: 'DELETE', headers: bearer(runner) })).status).toBe(422)
    const res = await edge('/v3/system/tokens/token-abcde', { method: 'DELETE', headers: bearer(runner) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revoked: 'token-abcde' })
  })
})
