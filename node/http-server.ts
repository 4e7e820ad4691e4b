import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface ProbeServer {
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  url: string
  close(): Promise<void>
}

/** `host:port` (`:8080` means all interfaces); throws RangeError on anything else. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr)
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 0 && port <= 65535)) throw new RangeError(`listen address must be host:port, not "${addr}"`)
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port }
}

/**
 * A program's probe and metrics endpoint: `/healthz` (the process is serving), `/readyz` (200 while
 * `ready()` holds, else 503 with `notReady` as the body) and `/metrics` (the registry, Prometheus text
 * format). GET and HEAD only.
 */
export async function startProbeServer(
  addr: { host: string; port: number },
  registry: Registry,
  ready: () => boolean,
  notReady = 'not ready',
): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const ok = ready()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : `${notReady}\n`)
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      )
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(addr.port, addr.host, () => resolve())
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
