// The one client's transports for Node programs: to the apiserver of a kubeconfig, and to a cluster
// behind the edge (`<edge>/k8s/clusters/<id>`). Both are node:http(s) under a fetch-shaped function, with
// a keep-alive agent per target; the response body streams (watches), it is not buffered here.
import { request as httpRequest, Agent as HttpAgent } from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { Readable } from 'node:stream'
import type { KubeConfig } from '@kubernetes/client-node'
import { apiPathOf, joinBase, type Transport } from '../../protocol/kube/index.ts'
import { UpstreamCredentials, type UpstreamTarget } from './credentials.ts'

/** Statuses whose Response may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** Sends `req` to `target` (its URL's path prefixes the request's), adding the target's credential. */
export async function sendTo(target: UpstreamTarget, req: Request): Promise<Response> {
  const url = joinBase(target.url, apiPathOf(req))
  const headers: Record<string, string> = {}
  req.headers.forEach((v, k) => (headers[k] = v))
  if (target.authorization) headers.authorization = target.authorization
  const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined
  if (body) headers['content-length'] = String(body.length)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<Response>((resolve, reject) => {
    const out = send(url, { method: req.method, headers, agent: target.agent, ...target.tls, signal: req.signal }, (res) => {
      const responseHeaders = new Headers()
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const one of v) responseHeaders.append(k, one)
        else if (v !== undefined) responseHeaders.set(k, v)
      }
      const status = res.statusCode ?? 502
      const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
      if (!stream) res.resume()
      resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }))
    })
    out.on('error', reject)
    // `req` must outlive the exchange: its signal follows the caller's only while the Request object itself
    // is reachable (undici links the two weakly), so once collected, aborts and timeouts would silently stop
    // reaching this request. The request and the response hold it until they close.
    const keep = () => void req
    out.once('close', keep)
    out.once('response', (res) => res.once('close', keep))
    out.end(body)
  })
}

/** The kubeconfig's current cluster and user, credentials re-read every minute (rotated tokens and certificates). */
export function kubeConfigTransport(kc: KubeConfig): Transport & { close(): void } {
  const creds = new UpstreamCredentials(kc)
  return Object.assign(credentialsTransport(creds), { close: () => creds.close() })
}

/** Requests with credentials a program already keeps (the agent's, shared with its tunnel upstream). */
export function credentialsTransport(creds: UpstreamCredentials): Transport {
  return async (req) => {
    const res = await sendTo(await creds.current(), req)
    // A rotated credential: read the files again before the next request (the caller retries).
    if (res.status === 401) creds.invalidate()
    return res
  }
}

/** How a Node program reaches the edge: its URL, a bearer token, and the CA when it is a private one. */
export interface EdgeAccess {
  url: string
  token: string
  /** PEM of the CA the edge's certificate chains to, when it is not a public one. */
  ca?: string
}

/**
 * Requests through the edge: `cluster` set → `<edge>/k8s/clusters/<cluster><API path>`, unset → the
 * edge's own paths (`/v3/...`). One keep-alive agent serves every cluster.
 */
export function edgeTransports(edge: EdgeAccess, opts: { maxSockets?: number } = {}): { cluster(id: string): Transport; edge: Transport; close(): void } {
  const base = new URL(edge.url)
  const tls = edge.ca ? { ca: edge.ca } : {}
  const maxSockets = opts.maxSockets ?? 32
  const agent = base.protocol === 'https:' ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets })
  const authorization = `Bearer ${edge.token}`
  const at = (url: URL): Transport => {
    const target: UpstreamTarget = { url, tls, agent, authorization }
    return (req) => sendTo(target, req)
  }
  const clusters = new Map<string, Transport>()
  return {
    cluster(id) {
      let t = clusters.get(id)
      if (!t) {
        t = at(joinBase(base, `/k8s/clusters/${encodeURIComponent(id)}`))
        clusters.set(id, t)
      }
      return t
    },
    edge: at(base),
    close: () => agent.destroy(),
  }
}
