// The extension server's HTTPS listener. The TLS layer asks every client for a certificate and trusts only
// the request-header CA, but lets connections without one through: the probes answer anyone, and the
// handler refuses everything else with 401 (see front-proxy.ts).
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { extHandler, type HandlerOptions } from './handler.ts'

export interface ExtServerOptions extends HandlerOptions {
  host: string
  /** 0: any free port (tests). */
  port: number
  /** PEM: the serving certificate (chain) and its key; the APIService's caBundle must verify it. */
  servingCert: string
  servingKey: string
  /** PEM: the CA of the front proxy's client certificates (kube-apiserver `--requestheader-client-ca-file`). */
  requestHeaderCa: string
}

export interface ExtServer extends AsyncDisposable {
  /** `https://host:port`, with the port actually bound. */
  url: string
  port: number
  close(): Promise<void>
}

export async function startExtServer(opts: ExtServerOptions): Promise<ExtServer> {
  const server = createServer(
    {
      cert: opts.servingCert,
      key: opts.servingKey,
      ca: opts.requestHeaderCa,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // A slow or stalled client cannot hold a request open forever.
      requestTimeout: 60_000,
      headersTimeout: 30_000,
    },
    extHandler(opts),
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return { url: `https://${host}:${port}`, port, close, [Symbol.asyncDispose]: close }
}
