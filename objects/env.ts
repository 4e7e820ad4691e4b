import type { ClusterTunnel } from './cluster-tunnel.ts'
import type { LoginThrottle } from './login-throttle.ts'
import type { TokenState } from './token-state.ts'

/** The Durable Object namespaces (wrangler.toml's bindings): the objects' env, and part of the worker's. */
export interface ObjectBindings {
  TUNNEL: DurableObjectNamespace<ClusterTunnel>
  TOKENS: DurableObjectNamespace<TokenState>
  THROTTLE: DurableObjectNamespace<LoginThrottle>
}
