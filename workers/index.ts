import { createApp } from './app.ts'

export { ClusterIndex, ClusterTunnel, LoginThrottle, TokenState } from '../objects/index.ts'

export default createApp()
