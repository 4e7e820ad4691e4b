import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { expectReadAsConsumed, floodResponses } from '../test/support/flood-server.ts'
import { dispatchRequest } from './upstream-request.ts'


describe('dispatchRequest: answers through undici handlers', () => {
  let server: Server | undefined
  let pool: Pool | undefined
  afterEach(async () => {
    await pool?.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  })
  const listen = async (s: Server) => {
    server = s
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    pool = new Pool(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)
    return pool
  }
  const get = (p: Pool, path = '/', signal = new AbortController().signal) => dispatchRequest(p, { method: 'GET', path }, signal)

  it('hands over a small answer that arrived whole as bytes, and a slow one as a stream', async () => {
    const p = await listen(
      createServer((req, res) => {
        if (req.url === '/whole') return res.end('whole')
        res.write('first ')
        setTimeout(() => res.end('then the rest'), 50)
      }),
    )
    const whole = await get(p, '/whole')
    expect(whole.status).toBe(200)
    expect(whole.body).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(whole.body as Uint8Array)).toBe('whole')
    const slow = await get(p, '/slow')
    expect(slow.body).toBeInstanceOf(ReadableStream)
    expect(await new Response(slow.body).text()).toBe('first then the rest')
  })

  it('reads a large response only as fast as it is consumed, and cancelling it aborts the request', async () => {
    const flood = floodResponses()
    const reply = await get(await listen(createServer(flood.handler)))
    if (!(reply.body instanceof ReadableStream)) throw new Error('expected a stream')
    await expectReadAsConsumed(reply.body.getReader(), flood.written)
  })

  it('errors the stream of a response cut short, and aborts on the signal', async () => {
    const p = await listen(
      createServer((req, res) => {
        res.writeHead(200, { 'content-length': '100' })
        res.write('part')
        if (req.url === '/cut') setTimeout(() => res.destroy(), 50)
      }),
    )
    const cut = await get(p, '/cut')
    await expect(new Response(cut.body as ReadableStream<Uint8Array>).text()).rejects.toThrow()
    const aborter = new AbortController()
    const held = await get(p, '/held', aborter.signal)
    const text = new Response(held.body as ReadableStream<Uint8Array>).text()
    aborter.abort(new Error('the edge went away'))
    await expect(text).rejects.toThrow()
  })
})
