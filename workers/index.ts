import { createApp } from './app.ts'

export { ClusterTunnel } from '../objects/cluster-tunnel.ts'

export default createApp()
