import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { systemClock, type Clock, type Limits, type StreamHandler, type TunnelCounters } from '../protocol/tunnel/index.ts'
import pkg from '../package.json' with { type: 'json' }
import { Backoff, type BackoffOptions } from '../node/backoff.ts'
import { Connector } from './connection.ts'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { loadKubeConfig } from '../node/kube/kubeconfig.ts'
import { EdgeTrust, edgeTrustSettings } from './edge-trust.ts'
import { kubeFacts, type CollectFacts } from './facts.ts'
import { ApiServerHealth, readyzProbe } from './apiserver-health.ts'
import { credentialsTransport } from '../node/kube/http-transport.ts'
import { KubeClient } from '../protocol/kube/index.ts'
import { errorText } from '../node/log.ts'
import { describeProxy } from './proxy.ts'
import { createUpstreamHandler } from './upstream.ts'

export const AGENT_VERSION: string = pkg.version

/**
 * Reconnects: full jitter, so a fleet of agents that lost the same edge spreads over the whole window
 * instead of arriving in waves; a connection that stayed up 30 s starts the sequence over.
 */
export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, resetAfterMs: 30_000, jitter: 'full' }

/** Stable for the life of the process, distinct between replicas that share a hostname pattern. */
export const REPLICA_ID = `${hostname()}-${randomBytes(4).toString('hex')}`

export interface RunningAgent {
  /** Closes the tunnel with AGENT_SHUTDOWN and stops reconnecting; resolves once the socket is closed. */
  stop(): Promise<void>
  readonly connected: boolean
  /** Streams open on the current tunnel session. */
  readonly streams: number
  /** Messages, frames and bytes through the tunnel so far, across reconnects. */
  counters(): TunnelCounters
}

export interface DialerOptions {
  /** The edge's base URL (http or https; ws/wss accepted too). */
  server: string
  /** The registration or agent token, sent as X-API-Tunnel-Token. Never logged. */
  token: string
  handler: StreamHandler
  logger: Logger
  clock?: Clock
  collectFacts?: CollectFacts
  factsIntervalMs?: number
  backoff?: BackoffOptions
  limits?: Partial<Limits>
  /** SHA-256 (hex) of the edge CA's PEM text (DROVER_CA_CHECKSUM); see edge-trust.ts. */
  caChecksum?: string | undefined
  /** `strict` (only the pinned CA) or `system-store`; default strict with a checksum, else system-store. */
  tlsMode?: string | undefined
}

export interface AgentOptions extends Omit<DialerOptions, 'handler' | 'collectFacts'> {
  /** Kubeconfig of the cluster to serve; without it the in-cluster service account is used. */
  kubeconfig?: string
  /** An already built kubeconfig (e.g. a service account's, see service-account.ts); wins over `kubeconfig`. */
  kubeConfig?: KubeConfig
  /** Replaces the kube-apiserver handler or facts (tests only). */
  handler?: StreamHandler
  collectFacts?: CollectFacts
}

/**
 * Runs an agent for the cluster of `kubeconfig` (or the one it runs in): dials the edge, serves tunnel
 * streams against that cluster's kube-apiserver only, reports facts, reconnects until stopped.
 */
export function runAgent(opts: AgentOptions): RunningAgent {
  const { logger } = opts
  // Refuses to start on an unusable trust configuration before touching the cluster.
  edgeTrustSettings(connectUrl(opts.server).url, opts)
  const kc = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfig)
  const credentials = new UpstreamCredentials(kc, {
    onRefreshError: (e) => logger.warn({ err: errorText(e) }, 'rereading kube-apiserver credentials failed; keeping the previous ones'),
  })
  if (kc.getCurrentCluster()?.proxyUrl) logger.warn('the kubeconfig names a proxy-url; the agent connects to the kube-apiserver directly')
  logger.info({ apiserver: kc.getCurrentCluster()?.server }, 'serving the kube-apiserver of this cluster')
  const transport = credentialsTransport(credentials)
  const health = new ApiServerHealth({ probe: readyzProbe(transport), clock: opts.clock ?? systemClock, logger })
  const dialer = startDialer({
    ...opts,
    handler: opts.handler ?? createUpstreamHandler({ credentials, logger, health }),
    collectFacts: opts.collectFacts ?? kubeFacts(new KubeClient(transport), logger, health),
  })
  health.subscribe(() => dialer.refreshFacts())
  health.start()
  return {
    get connected() {
      return dialer.connected
    },
    get streams() {
      return dialer.streams
    },
    counters: () => dialer.counters(),
    async stop() {
      health.stop()
      await dialer.stop()
      credentials.close()
    },
  }
}

/** Throws EdgeTrustError, before dialing anything, when the trust configuration cannot work. */
export function startDialer(opts: DialerOptions): RunningAgent & { refreshFacts(): void } {
  const { url, proxyLookupUrl, cacertsUrl } = connectUrl(opts.server)
  const trust = new EdgeTrust(edgeTrustSettings(url, opts), cacertsUrl)
  const proxy = describeProxy(proxyLookupUrl)
  const { mode, caChecksum } = trust.settings
  opts.logger.info(
    { edge: url.origin, ...(proxy ? { proxy } : {}), tlsMode: mode, ...(caChecksum ? { caChecksum } : {}), agentVersion: AGENT_VERSION, replicaId: REPLICA_ID },
    'agent starting',
  )
  const clock = opts.clock ?? systemClock
  const connector = new Connector({
    url,
    proxyLookupUrl,
    token: opts.token,
    handler: opts.handler,
    logger: opts.logger,
    clock,
    backoff: new Backoff(clock, { ...RECONNECT_BACKOFF, ...opts.backoff }),
    agentVersion: AGENT_VERSION,
    replicaId: REPLICA_ID,
    ...(opts.collectFacts ? { collectFacts: opts.collectFacts } : {}),
    ...(opts.factsIntervalMs ? { factsIntervalMs: opts.factsIntervalMs } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    trust,
  })
  connector.start()
  return {
    get connected() {
      return connector.connected
    },
    get streams() {
      return connector.streams
    },
    counters: () => connector.counters(),
    stop: () => connector.stop(),
    refreshFacts: () => connector.refreshFacts(),
  }
}

/** `<server>/v3/connect` as a ws(s) URL, its http(s) form for proxy lookup, and `<server>/cacerts`. */
export function connectUrl(server: string): { url: URL; proxyLookupUrl: URL; cacertsUrl: URL } {
  let base: URL
  try {
    base = new URL(server)
  } catch {
    throw new Error(`the edge URL "${server}" is not a URL`)
  }
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[base.protocol]
  if (!scheme) throw new Error(`the edge URL must be http(s), not ${base.protocol}`)
  if (base.username || base.password) throw new Error('the edge URL may not carry credentials')
  const prefix = base.pathname.replace(/\/+$/, '')
  const http = scheme === 'wss:' ? 'https:' : 'http:'
  const url = new URL(`${scheme}//${base.host}${prefix}/v3/connect`)
  const proxyLookupUrl = new URL(`${http}//${base.host}${prefix}/v3/connect`)
  const cacertsUrl = new URL(`${http}//${base.host}${prefix}/cacerts`)
  return { url, proxyLookupUrl, cacertsUrl }
}
