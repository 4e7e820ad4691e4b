import { Counter, Gauge, type Registry } from 'prom-client'
import type { TunnelCounters } from '../protocol/tunnel/index.ts'
import { processRegistry } from '../node/metrics.ts'

/** What the metrics read from a running agent. */
export interface AgentMetricsSource {
  readonly connected: boolean
  readonly streams: number
  counters(): TunnelCounters
}

/**
 * The agent's Prometheus registry: Node's process metrics plus the tunnel's — whether it is connected,
 * open streams, and WebSocket messages, tunnel frames and bytes each way (frames per message shows how
 * much batching saves). Read from the agent at scrape time; nothing is counted twice.
 */
export function agentRegistry(agent: AgentMetricsSource): Registry {
  const registry = processRegistry('drover_agent_')
  new Gauge({
    name: 'drover_agent_tunnel_connected',
    help: '1 while a tunnel session to the edge is open',
    registers: [registry],
    collect() {
      this.set(agent.connected ? 1 : 0)
    },
  })
  new Gauge({
    name: 'drover_agent_tunnel_streams',
    help: 'Streams (requests, watches, exec sessions) open on the tunnel',
    registers: [registry],
    collect() {
      this.set(agent.streams)
    },
  })
  const counter = (name: string, help: string, sent: keyof TunnelCounters, received: keyof TunnelCounters) =>
    new Counter({
      name,
      help,
      labelNames: ['direction'],
      registers: [registry],
      collect() {
        const c = agent.counters()
        this.reset()
        this.inc({ direction: 'sent' }, c[sent])
        this.inc({ direction: 'received' }, c[received])
      },
    })
  counter('drover_agent_tunnel_messages_total', 'WebSocket messages to (sent) and from (received) the edge', 'messagesSent', 'messagesReceived')
  counter('drover_agent_tunnel_frames_total', 'Tunnel frames to and from the edge (a BATCH message carries several)', 'framesSent', 'framesReceived')
  counter('drover_agent_tunnel_bytes_total', 'Bytes of tunnel messages to and from the edge', 'bytesSent', 'bytesReceived')
  return registry
}
