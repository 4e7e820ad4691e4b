// Every Durable Object class wrangler.toml binds, by room. The class names are part of the deployed
// migrations: rename none.
//   tunnel/  one ClusterTunnel per cluster: agent sockets, proxied streams, status pushes, the envelope
//   auth/    TokenState (revocation, idle time), LoginThrottle (failed logins, imports) and ReplayGuard
//            (one-time SAML assertions)
//   cache/   one ClusterIndex per cluster: the SQLite list index behind /v1, fed by list+watch through the tunnel
export { ClusterIndex } from './cache/cluster-index.ts'
export { LoginThrottle } from './auth/login-throttle.ts'
export { ReplayGuard } from './auth/replay-guard.ts'
export { TokenState } from './auth/token-state.ts'
export { ClusterTunnel } from './tunnel/cluster-tunnel.ts'
