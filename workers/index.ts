import { createApp } from './app.ts'

export { ClusterTunnel, LoginThrottle, TokenState } from '../objects/index.ts'

export default createApp()
