// Aborts must reach a request however long it has been in flight. A Request's signal follows the caller's
// only while the Request object is reachable, so this collects garbage mid-request, then aborts: the
// transport (and the guard wrapping it) must still end the request at once.
import { createServer, type Server } from 'node:http'
import { Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { guardedTransport, KubeClient, type Transport } from '../../protocol/kube/index.ts'
import { sendTo } from './http-transport.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

describe('sendTo', () => {
  let server: Server
  let transport: Transport
  const agent = new Agent({ keepAlive: true })

  beforeAll(async () => {
    // A watch that never ends: headers and one line, then nothing.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"1"}}}\n')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    transport = (req) => sendTo({ url, tls: {}, agent }, req)
  })
  afterAll(async () => {
    agent.destroy()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  const watchThenAbort = async (client: KubeClient) => {
    const caller = new AbortController()
    const events = client.watch({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true }, { signal: caller.signal })
    expect((await events.next()).value?.type).toBe('BOOKMARK')
    const pending = events.next()
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
    }
    caller.abort()
    const outcome = await Promise.race([pending.then(() => 'ended', () => 'aborted'), new Promise((r) => setTimeout(() => r('still running'), 2_000))])
    expect(outcome).toBe('aborted')
  }

  it('ends a streaming response when the caller aborts, after a garbage collection', async () => {
    await watchThenAbort(new KubeClient(transport))
  })

  it('does so through the leader guard too', async () => {
    const term = new AbortController()
    await watchThenAbort(new KubeClient(guardedTransport(transport, { fresh: () => true, signal: () => term.signal }, { timeoutMs: 600_000 })))
  })
})
