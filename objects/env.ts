import type { ClusterIndex } from './cache/cluster-index.ts'
import type { LoginThrottle } from './auth/login-throttle.ts'
import type { ReplayGuard } from './auth/replay-guard.ts'
import type { TokenState } from './auth/token-state.ts'
import type { ClusterTunnel } from './tunnel/cluster-tunnel.ts'

/** The Durable Object namespaces (wrangler.toml's bindings): the objects' env, and part of the worker's. */
export interface ObjectBindings {
  TUNNEL: DurableObjectNamespace<ClusterTunnel>
  TOKENS: DurableObjectNamespace<TokenState>
  THROTTLE: DurableObjectNamespace<LoginThrottle>
  CACHE: DurableObjectNamespace<ClusterIndex>
  REPLAY: DurableObjectNamespace<ReplayGuard>
  /** Workers Analytics Engine dataset for the edge's figures (production; objects/metrics/edge-metrics.ts). */
  METRICS?: AnalyticsEngineDataset
  /** Seconds between a connected tunnel object's watchdog checks (objects/tunnel/cluster-status.ts; default 120). */
  TUNNEL_WATCHDOG_SECONDS?: string
}
