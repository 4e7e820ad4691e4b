import { createServer, type Socket } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { TunnelError } from '../protocol/tunnel/index.ts'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { silentLogger } from '../test/support/logger.ts'
import { getHead, RecordingSocket } from '../test/support/tunnel-requests.ts'
import { createUpstreamHandler } from './upstream.ts'

/** A port nothing listens on: free when asked, and nobody binds it in between. */
const closedPort = freePort

describe('an apiserver that cannot be reached', () => {
  it('fails plain requests and upgrades with UPSTREAM_UNREACHABLE, which the edge may retry', async () => {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${await closedPort()}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    })
    const handler = createUpstreamHandler({ credentials: new UpstreamCredentials(kc), logger: silentLogger })
    const plain = handler.http(getHead('/version'), null, new AbortController().signal)
    await expect(plain).rejects.toBeInstanceOf(TunnelError)
    await expect(plain).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE', retryable: true })
    const upgrade = handler.websocket({ ...getHead('/api/v1/namespaces/d/pods/p/exec'), upgrade: { protocols: ['v5.channel.k8s.io'] } }, new RecordingSocket(), new AbortController().signal)
    await expect(upgrade).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE' })
  })

  it('gives up when the TLS handshake does not finish within the connect timeout', async () => {
    // Accepts TCP and then says nothing, so the TLS handshake never completes.
    const held: Socket[] = []
    const silent = createServer((sock) => void held.push(sock))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const kc = new KubeConfig()
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `https://127.0.0.1:${(silent.address() as { port: number }).port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      })
      const handler = createUpstreamHandler({ credentials: new UpstreamCredentials(kc), logger: silentLogger, connectTimeoutMs: 300 })
      const started = Date.now()
      await expect(handler.http(getHead('/version'), null, new AbortController().signal)).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      expect(Date.now() - started).toBeLessThan(3_000)
    } finally {
      for (const s of held) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
