import { readFileSync } from 'node:fs'
import { KubeConfig } from '@kubernetes/client-node'
import { KubeClient, resourcePath, SERVICE_ACCOUNT } from '../protocol/kube/index.ts'
import { kubeConfigTransport } from '../node/kube/http-transport.ts'
import type { Logger } from 'pino'
import { systemClock, type Clock } from '../protocol/tunnel/index.ts'
import { errorText } from '../node/log.ts'

export interface ServiceAccountRef {
  namespace: string
  name: string
}

const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** `<namespace>/<name>`, both as Kubernetes names them. */
export function parseServiceAccount(value: string): ServiceAccountRef {
  const parts = value.split('/')
  if (parts.length !== 2 || !DNS_LABEL.test(parts[0]!) || !DNS_SUBDOMAIN.test(parts[1]!)) {
    throw new Error(`--service-account must be <namespace>/<name>, not "${value}"`)
  }
  return { namespace: parts[0]!, name: parts[1]! }
}

const USER = 'drover-agent-service-account'

/**
 * The admin kubeconfig's current cluster (server, CA, TLS server name, skip-verify) with a user that has
 * only `token`: no client certificate, key, exec plugin or basic credentials of the admin carry over.
 */
export function serviceAccountKubeConfig(admin: KubeConfig, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  // A CA file is read now and inlined: the new kubeconfig has no directory to resolve paths against.
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined)
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.server, skipTLSVerify: cluster.skipTLSVerify, ...(caData ? { caData } : {}), ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}) }],
    users: [{ name: USER, token }],
    contexts: [{ name: USER, cluster: cluster.name, user: USER }],
    currentContext: USER,
  })
  return kc
}

export interface IssuedToken {
  token: string
  /** Epoch milliseconds; the apiserver may shorten (or lengthen) what was asked for. */
  expiresAt: number
}

/** Asks the TokenRequest API for a token of the service account, as the admin kubeconfig's user. */
export function tokenRequester(admin: KubeConfig, ref: ServiceAccountRef, expirationSeconds: number): () => Promise<IssuedToken> {
  const client = new KubeClient(kubeConfigTransport(admin))
  const path = resourcePath(SERVICE_ACCOUNT, { namespace: ref.namespace, name: ref.name, subresource: 'token' })
  return async () => {
    const res = await client.request<{ status?: { token?: string; expirationTimestamp?: string } }>('POST', path, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds, audiences: [] } },
    })
    const token = res.status?.token
    const expires = res.status?.expirationTimestamp
    if (!token || !expires) throw new Error('the TokenRequest answer carries no token')
    const expiresAt = Date.parse(expires)
    if (!Number.isFinite(expiresAt)) throw new Error(`the TokenRequest answer has an unreadable expiry: ${expires}`)
    return { token, expiresAt }
  }
}

export interface ServiceAccountTokenOptions {
  logger: Logger
  /** Asked of the apiserver (it enforces at least 600 s). Default 3600. */
  expirationSeconds?: number
  /** Fraction of a token's lifetime after which a new one is requested. Default 0.8. */
  refreshAt?: number
  /** Delay before retrying a failed refresh; the current token stays in use meanwhile. Default 10 s. */
  retryMs?: number
  clock?: Clock
  /** Replaces the TokenRequest call (tests of the schedule). */
  request?: () => Promise<IssuedToken>
}

/**
 * A service account's token, kept fresh: `kubeConfig` is a kubeconfig for the admin kubeconfig's
 * cluster whose user is that token. A new token is requested at 80% of the current one's lifetime and
 * swapped into the same KubeConfig object, which client-node and UpstreamCredentials read on every
 * (re)apply — so the tunnel stays up, requests in flight finish with the old token (still valid for
 * the remaining 20%), and later requests use the new one.
 */
export class ServiceAccountToken {
  private timer: unknown
  private stopped = false
  private current: IssuedToken

  private constructor(
    readonly kubeConfig: KubeConfig,
    first: IssuedToken,
    private readonly request: () => Promise<IssuedToken>,
    private readonly opts: ServiceAccountTokenOptions & { clock: Clock },
    private readonly ref: ServiceAccountRef,
  ) {
    this.current = first
    this.schedule()
  }

  /** Requests the first token (failing if it cannot) and starts refreshing. */
  static async start(admin: KubeConfig, ref: ServiceAccountRef, opts: ServiceAccountTokenOptions): Promise<ServiceAccountToken> {
    const request = opts.request ?? tokenRequester(admin, ref, opts.expirationSeconds ?? 3600)
    let first: IssuedToken
    try {
      first = await request()
    } catch (e) {
      throw new Error(`cannot get a token for service account ${ref.namespace}/${ref.name}: ${errorText(e)}`)
    }
    const kc = serviceAccountKubeConfig(admin, first.token)
    opts.logger.info({ serviceAccount: `${ref.namespace}/${ref.name}`, expiresAt: new Date(first.expiresAt).toISOString() }, 'serving as the service account')
    return new ServiceAccountToken(kc, first, request, { ...opts, clock: opts.clock ?? systemClock }, ref)
  }

  get expiresAt(): number {
    return this.current.expiresAt
  }

  /** Requests a new token now; on failure the current one stays and a retry is scheduled. */
  async refresh(): Promise<void> {
    if (this.stopped) return
    this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    try {
      const next = await this.request()
      if (this.stopped) return
      this.current = next
      this.kubeConfig.users = this.kubeConfig.users.map((u) => (u.name === USER ? { ...u, token: next.token } : u))
      this.opts.logger.info({ serviceAccount: `${this.ref.namespace}/${this.ref.name}`, expiresAt: new Date(next.expiresAt).toISOString() }, 'service account token renewed')
      this.schedule()
    } catch (e) {
      if (this.stopped) return
      this.opts.logger.warn({ err: errorText(e) }, 'renewing the service account token failed; retrying with the current one still in use')
      this.timer = this.opts.clock.setTimeout(() => void this.refresh(), this.opts.retryMs ?? 10_000)
    }
  }

  stop(): void {
    this.stopped = true
    this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    const now = this.opts.clock.now()
    const lifetime = Math.max(0, this.current.expiresAt - now)
    this.timer = this.opts.clock.setTimeout(() => void this.refresh(), Math.floor(lifetime * (this.opts.refreshAt ?? 0.8)))
  }
}
