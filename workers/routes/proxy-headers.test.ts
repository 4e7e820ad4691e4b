import { SELF } from 'cloudflare:test'
import { describe, expect, it, onTestFinished } from 'vitest'
import { TunnelSession, TUNNEL_SUBPROTOCOL, type RequestHead, type StreamHandler } from '../../protocol/tunnel/index.ts'
import { isProxySubresource } from '../response-headers.ts'

// Issue 10, finding 6 and the edge's own headers: a workload served through `services/…/proxy` runs on
// the edge's origin, where an administrator's R_SESS cookie lives.
const edge = (path: string, init?: RequestInit) => SELF.fetch(`https://edge.test${path}`, init)
const bearer = { authorization: 'Bearer token-all:secret' }

/** What a hostile workload answers: a page with script that sets and clears cookies on our origin. */
const hostile: StreamHandler = {
  async http(head: RequestHead) {
    const page = new Blob([`<script>steal()</script> ${head.path}`]).stream()
    const gzip = head.path.endsWith('.gz')
    return {
      head: {
        status: 200,
        headers: [
          ['content-type', 'text/html'],
          ['set-cookie', 'R_SESS=attacker; Path=/'],
          ['set-cookie', 'other=1; Path=/'],
          ['clear-site-data', '"cookies"'],
          ['content-security-policy', "frame-ancestors 'none'"],
          ...(gzip ? [['content-encoding', 'gzip'] as [string, string]] : []),
        ],
      },
      body: gzip ? page.pipeThrough(new CompressionStream('gzip')) : page,
    }
  },
  async websocket() {
    return { head: { status: 403, headers: [] } }
  },
}

/** A fake agent for cluster c-one, joined through the edge's real `/v3/connect` and ClusterTunnel object. */
/** Returns the function that disconnects it. */
async function connectAgent(handler: StreamHandler): Promise<() => void> {
  const res = await edge('/v3/connect', {
    headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': TUNNEL_SUBPROTOCOL, 'x-api-tunnel-token': 'agent-token-one' },
  })
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  ws.binaryType = 'arraybuffer'
  const agent = new TunnelSession({
    role: 'agent',
    handler,
    transport: { send: (m) => ws.send(m), close: (code, reason) => ws.close(code, reason) },
  })
  ws.addEventListener('message', (e) => agent.receive(e.data as ArrayBuffer | string))
  agent.sendHello({ agentVersion: '1.0.0', sessionId: `s-${crypto.randomUUID()}`, replicaId: 'r1' })
  // Connected once a request gets past "no agent session".
  let status = 0
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await edge('/k8s/clusters/c-one/version', { headers: bearer })).status
    if (status !== 200) await new Promise((r) => setTimeout(r, 20))
  }
  expect(status).toBe(200)
  return () => ws.close(1000, 'done')
}

describe('proxied services/pods/nodes …/proxy responses in workerd', () => {
  it('are sandboxed and lose every cookie header, body intact', async () => {
    const disconnect = await connectAgent(hostile)
    onTestFinished(disconnect)
    for (const path of [
      '/api/v1/namespaces/default/services/web/proxy/',
      '/api/v1/namespaces/default/services/https:web:8443/proxy/admin?x=1',
      '/api/v1/namespaces/default/pods/web-0/proxy/index.html',
      '/api/v1/nodes/n1/proxy/metrics',
      '/api/v1/namespaces/default/services/web/prox%79/', // the apiserver decodes the path before routing it
      '/api/v1/namespaces/default/services/web/proxy/bundle.js.gz', // a compressed body still arrives whole
    ]) {
      const res = await edge(`/k8s/clusters/c-one${path}`, { headers: bearer })
      expect(res.status, path).toBe(200)
      expect(res.headers.get('set-cookie'), path).toBeNull()
      expect(res.headers.get('clear-site-data'), path).toBeNull()
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp.split(',').map((p) => p.trim()), path).toEqual(["frame-ancestors 'none'", 'sandbox'])
      expect(await res.text(), path).toBe(`<script>steal()</script> ${path}`)
    }
  })

  it('leave other cluster API responses as the apiserver sent them, without the edge’s own headers', async () => {
    onTestFinished(await connectAgent(hostile))
    const res = await edge('/k8s/clusters/c-one/api/v1/namespaces/default/configmaps/proxy', { headers: bearer })
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toBe('R_SESS=attacker; Path=/, other=1; Path=/')
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'")
    expect(res.headers.get('x-content-type-options')).toBeNull()
    expect(res.headers.get('referrer-policy')).toBeNull()
  })
})

describe('the edge’s own responses', () => {
  it('carry nosniff and no-referrer, errors included', async () => {
    const own = [
      await edge('/ping'),
      await edge('/nothing-here'),
      await edge('/v3-public/authProviders'),
      await edge('/k8s/clusters/c-one/version'), // 401 from the edge, not from a cluster
      await edge('/k8s/clusters/c-one/version', { method: 'POST', headers: { cookie: 'R_SESS=token-all%3Asecret', origin: 'https://evil.example' } }),
      await edge('/v3/tokens?action=logout', { method: 'POST', headers: bearer }),
    ]
    for (const res of own) {
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff')
      expect(res.headers.get('referrer-policy'), res.url).toBe('no-referrer')
      await res.body?.cancel()
    }
  })
})

describe('isProxySubresource', () => {
  it('matches the proxy subresources, however the path is spelled', () => {
    for (const p of [
      '/api/v1/namespaces/ns/services/s/proxy',
      '/api/v1/namespaces/ns/services/s/proxy/a/b',
      '/api/v1/namespaces/ns/pods/p/proxy/',
      '/api/v1/nodes/n/proxy/stats',
      '/api/v1/proxy/namespaces/ns/services/s/',
      '//api/v1//namespaces/ns/services/s/./proxy',
      '/api/v1/namespaces/ns/%73ervices/s/proxy',
      '/api/v1/namespaces/ns/services/s/PROXY',
      '/api/v1/namespaces/ns/services/s/proxy%2Fx',
      '/api/v1/namespaces/ns/services/s/proxy%zz', // undecodable: sandboxed rather than guessed
    ]) expect(isProxySubresource(p), p).toBe(true)
  })

  it('does not match the rest of the API', () => {
    for (const p of [
      '/version',
      '/api/v1/namespaces/ns/services/s',
      '/api/v1/namespaces/ns/configmaps/proxy',
      '/api/v1/namespaces/proxy/pods',
      '/api/v1/namespaces/ns/pods/p/exec',
      '/api/v1/namespaces/ns/services/s/proxying',
      '/apis/apps/v1/namespaces/ns/deployments/proxy/scale',
    ]) expect(isProxySubresource(p), p).toBe(false)
  })
})
