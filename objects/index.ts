// Every Durable Object class wrangler.toml binds, by room. The class names are part of the deployed
// migrations: rename none.
//   tunnel/  one ClusterTunnel per cluster: agent sockets, proxied streams, status pushes, the envelope
//   auth/    TokenState (revocation, idle time) and LoginThrottle (failed logins, imports)
//   cache/   (next) the per-cluster list index and subscriptions behind /v1
export { LoginThrottle } from './auth/login-throttle.ts'
export { TokenState } from './auth/token-state.ts'
export { ClusterTunnel } from './tunnel/cluster-tunnel.ts'
