import { createApp } from './app.ts'

export { ClusterIndex, ClusterTunnel, LoginThrottle, ReplayGuard, TokenState } from '../objects/index.ts'

export default createApp()
