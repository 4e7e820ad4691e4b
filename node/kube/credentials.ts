import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'

/** TLS material for the apiserver connection, as both `https.request` and `ws` accept it. */
export interface UpstreamTls {
  ca?: string | Buffer | (string | Buffer)[]
  cert?: string | Buffer | (string | Buffer)[]
  key?: RequestOptions['key']
  pfx?: RequestOptions['pfx']
  passphrase?: string
  rejectUnauthorized?: boolean
  servername?: string
}

/** Where and how to reach the agent's own kube-apiserver — the only server it ever dials. */
export interface UpstreamTarget {
  /** Server URL from the kubeconfig; its path (if any) prefixes every request path. */
  url: URL
  tls: UpstreamTls
  /** The agent's own credential (bearer token or basic), or none for client-certificate auth. */
  authorization?: string
  /** Keep-alive agent for plain requests; upgrades dial their own connection. */
  agent: HttpAgent
}

const RETRY_AFTER_FAILURE_MS = 5_000

export interface CredentialOptions {
  /** How long credentials are reused before the kubeconfig's files are read again. */
  refreshMs?: number
  now?: () => number
  /** Told (without secrets) when a refresh fails and the previous credentials stay in use. */
  onRefreshError?: (error: unknown) => void
}

/**
 * The kubeconfig's current cluster and user, applied through client-node's `applyToHTTPSOptions` and
 * cached. Reapplied every `refreshMs` (default 60 s, client-go's interval for token files): client-node
 * rereads certificate and CA files on every apply and its tokenFile provider (used by
 * `loadFromCluster`) rereads the projected service-account token once it is older than 60 s, so rotated
 * tokens and certificates are picked up without a restart. `invalidate()` forces a reread, e.g. after a 401.
 */
export class UpstreamCredentials {
  private cached?: { target: UpstreamTarget; at: number; tlsKey: string }
  private refreshing?: Promise<UpstreamTarget>
  private readonly refreshMs: number
  private readonly now: () => number

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: CredentialOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 60_000
    this.now = opts.now ?? Date.now
    const cluster = kc.getCurrentCluster()
    if (!cluster) throw new Error('the kubeconfig has no current cluster')
    const url = new URL(cluster.server)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported apiserver URL scheme ${url.protocol}`)
  }

  current(): Promise<UpstreamTarget> {
    const c = this.cached
    if (c && this.now() - c.at < this.refreshMs) return Promise.resolve(c.target)
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => (this.refreshing = undefined))
      // Stale but usable: refresh in the background; a failure keeps the old credentials and retries soon.
      if (c)
        this.refreshing.catch((e: unknown) => {
          c.at = this.now() - this.refreshMs + RETRY_AFTER_FAILURE_MS
          this.opts.onRefreshError?.(e)
        })
    }
    return c ? Promise.resolve(c.target) : this.refreshing
  }

  invalidate(): void {
    if (this.cached) this.cached.at = -Infinity
  }

  /** Closes idle keep-alive connections; requests in flight finish on their own sockets. */
  close(): void {
    this.cached?.target.agent.destroy()
    this.cached = undefined
  }

  private async refresh(): Promise<UpstreamTarget> {
    const opts: RequestOptions = { headers: {} }
    await this.kc.applyToHTTPSOptions(opts)
    const cluster = this.kc.getCurrentCluster()!
    const url = new URL(cluster.server)
    const tls: UpstreamTls = {}
    for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
      if (opts[k] !== undefined) Object.assign(tls, { [k]: opts[k] })
    }
    const headers = (opts.headers ?? {}) as Record<string, unknown>
    // Trimmed: client-node reads token files verbatim, and a trailing newline is not a valid header value.
    let authorization = typeof headers.Authorization === 'string' ? headers.Authorization.trim() : undefined
    if (!authorization && opts.auth) authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
    const tlsKey = fingerprint(url, tls)
    const prev = this.cached
    const agent =
      prev && prev.tlsKey === tlsKey
        ? prev.target.agent
        : url.protocol === 'https:'
          ? new HttpsAgent({ ...tls, keepAlive: true, timeout: 60_000 })
          : new HttpAgent({ keepAlive: true, timeout: 60_000 })
    // A replaced agent is left to its in-flight requests (watches may run for hours); its idle
    // keep-alive sockets time out through the agent's `timeout`.
    const target: UpstreamTarget = { url, tls, agent, ...(authorization ? { authorization } : {}) }
    this.cached = { target, at: this.now(), tlsKey }
    return target
  }
}

function fingerprint(url: URL, tls: UpstreamTls): string {
  const part = (v: unknown): string => (v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map(part).join('|') : typeof v === 'object' ? JSON.stringify(v) : String(v))
  return [url.origin, part(tls.ca), part(tls.cert), part(tls.key), part(tls.pfx), part(tls.passphrase), part(tls.rejectUnauthorized), part(tls.servername)].join('\n')
}

/** The request target on the apiserver: the server URL's own path (if any) prefixes the request's. */
export function joinPath(base: URL, path: string): string {
  return `${base.pathname.replace(/\/+$/, '')}${path}`
}
