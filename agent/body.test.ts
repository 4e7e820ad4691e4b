import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { KubeConfig } from '@kubernetes/client-node'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { silentLogger } from '../test/support/logger.ts'
import { getHead } from '../test/support/tunnel-requests.ts'
import { expectReadAsConsumed, floodResponses } from '../test/support/flood-server.ts'
import { responseBody } from './body.ts'
import { createUpstreamHandler } from './upstream.ts'


describe('bodies with backpressure', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

  const listen = async (s: Server) => {
    server = s
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    return (s.address() as AddressInfo).port
  }
  const get = (port: number) =>
    new Promise<IncomingMessage>((resolve, reject) => request({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject).end())

  it('reads a response only as fast as the stream is consumed', async () => {
    const flood = floodResponses()
    const port = await listen(createServer(flood.handler))
    await expectReadAsConsumed(responseBody(await get(port)).getReader(), flood.written)
  })

  it('ends the stream on a clean end and errors it on a cut response', async () => {
    const port = await listen(
      createServer((req, res) => {
        if (req.url === '/') return res.end('whole')
        res.writeHead(200, { 'content-length': '100' })
        res.write('part')
        setTimeout(() => res.destroy(), 20)
      }),
    )
    expect(await new Response(responseBody(await get(port))).text()).toBe('whole')
    const cut = await new Promise<IncomingMessage>((resolve) => request({ host: '127.0.0.1', port, path: '/cut' }, resolve).end())
    await expect(new Response(responseBody(cut)).text()).rejects.toThrow()
  })

  it('sends a request body upstream in order, and aborts the upstream request when the body fails', async () => {
    const received: string[] = []
    const port = await listen(
      createServer((req, res) => {
        let text = ''
        req.on('data', (d: Buffer) => (text += d.toString()))
        req.on('end', () => {
          received.push(`${req.method} ${req.headers['transfer-encoding'] ?? ''} ${text}`)
          res.end()
        })
        req.on('error', () => received.push('aborted'))
      }),
    )
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    })
    const handler = createUpstreamHandler({ credentials: new UpstreamCredentials(kc), logger: silentLogger })
    const send = (method: string, body: ReadableStream<Uint8Array>) => handler.http({ ...getHead('/api/v1/x'), method }, body, new AbortController().signal)
    const enc = new TextEncoder()
    // A DELETE body of unknown length is framed (chunked) too, so it cannot run into the next request.
    await send('DELETE', new ReadableStream({ start: (c) => (c.enqueue(enc.encode('a')), c.enqueue(enc.encode('b')), c.close()) }))
    await expect.poll(() => received).toEqual(['DELETE chunked ab'])
    // The body fails once the upstream request is under way: the apiserver must see it cut, not complete.
    const failed = send('POST', new ReadableStream({ start: (c) => (c.enqueue(enc.encode('x')), void setTimeout(() => c.error(new Error('client went away')), 100)) }))
    await expect(failed).rejects.toThrow()
    await expect.poll(() => received).toEqual(['DELETE chunked ab', 'aborted'])
  })
})
