import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { silentLogger } from '../test/support/logger.ts'
import { getHead, readText, RecordingSocket } from '../test/support/tunnel-requests.ts'
import { createUpstreamHandler } from './upstream.ts'

// kube-apiserver cannot be made to redirect, so a tiny local server plays it for this case only.
describe('redirects from the apiserver', () => {
  let server: Server
  let base: string
  const seen: IncomingMessage[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req)
      if (req.url?.startsWith('/prefix/elsewhere')) {
        res.end('followed')
        return
      }
      res.writeHead(302, { Location: `${base}/prefix/elsewhere`, 'Content-Type': 'text/plain' })
      res.end('moved')
    })
    server.on('upgrade', (req, socket) => {
      seen.push(req)
      socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${base}/prefix/elsewhere\r\nContent-Length: 5\r\n\r\nmoved`)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const handler = () => {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `${base}/prefix/`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'agent-own-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    })
    return createUpstreamHandler({ credentials: new UpstreamCredentials(kc), logger: silentLogger })
  }

  it('returns a 3xx as-is and never follows it', async () => {
    seen.length = 0
    const res = await handler().http(getHead('/api/v1/pods?limit=1'), null, new AbortController().signal)
    expect(res.head.status).toBe(302)
    // Header names are case-insensitive; the agent passes them on lower-cased.
    expect(res.head.headers.map(([n, v]) => [n.toLowerCase(), v])).toContainEqual(['location', `${base}/prefix/elsewhere`])
    expect(await readText(res.body)).toBe('moved')
    expect(seen.map((r) => r.url)).toEqual(['/prefix/api/v1/pods?limit=1'])
    expect(seen[0]!.headers.authorization).toBe('Bearer agent-own-token')
  })

  it('does not follow a redirect answering a WebSocket upgrade', async () => {
    seen.length = 0
    const socket = new RecordingSocket()
    const res = await handler().websocket({ ...getHead('/api/v1/namespaces/d/pods/p/exec'), upgrade: { protocols: ['v5.channel.k8s.io'] } }, socket, new AbortController().signal)
    expect(res.head.status).toBe(307)
    expect(await readText(res.body)).toBe('moved')
    expect(seen.map((r) => r.url)).toEqual(['/prefix/api/v1/namespaces/d/pods/p/exec'])
    expect(seen[0]!.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io')
    expect(socket.sent).toEqual([])
  })
})
