import { createApp } from './app.ts'

export { ClusterTunnel } from '../objects/cluster-tunnel.ts'
export { LoginThrottle } from '../objects/login-throttle.ts'
export { TokenState } from '../objects/token-state.ts'

export default createApp()
