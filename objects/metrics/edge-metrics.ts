// The edge's figures, two ways. Production Workers run many isolates and no process to scrape, so every
// event is also written to Workers Analytics Engine (binding METRICS, when bound) and queried there with
// SQL. The local stack runs one workerd process in which the worker and its Durable Objects share one
// isolate: this module's counters and the live tunnel hubs registered here are the whole edge, rendered
// as Prometheus text at `/metrics` (workers/routes/metrics.ts).
//
// Analytics Engine data points (blob1 is the event; doubles are numbers, blobs strings):
//   request     blobs [event, route, method, status, cluster]   doubles [latency ms, bytes in, bytes out]   index cluster|route
//   tunnel      blobs [event, cluster, connected|disconnected]   doubles [sessions, streams open]           index cluster
//   revocation  blobs [event, result (cached|asked)]            doubles [1]                                index 'revocation'
// An auth failure is a request point with status 401.

/** The routes requests are counted by: the edge's API families (never a path, whose values are unbounded). */
export type Route = 'k8s-proxy' | 'v3' | 'v3-public' | 'v1' | 'connect' | 'import' | 'other'

export function routeOf(path: string): Route {
  if (path.startsWith('/k8s/')) return 'k8s-proxy'
  if (path.startsWith('/v3/connect')) return 'connect'
  if (path.startsWith('/v3/import')) return 'import'
  if (path.startsWith('/v3-public')) return 'v3-public'
  if (path === '/v3' || path.startsWith('/v3/')) return 'v3'
  if (path === '/v1' || path.startsWith('/v1/')) return 'v1'
  return 'other'
}

/** Upper bounds (seconds) of the latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Histogram {
  counts: number[]
  sum: number
  count: number
}

/** What a tunnel object tells the registry about itself, read at scrape time. */
export interface TunnelFigures {
  sessions: number
  streams: number
}

const requests = new Map<string, number>()
const latency = new Map<string, Histogram>()
const authFailures = new Map<string, number>()
const revocationChecks = new Map<string, number>()
const tunnelBytes = { in: 0, out: 0 }
const requestBytes = { in: 0, out: 0 }
/**
 * Each cluster's tunnel object instance, held weakly: a hibernated object's hub must be free to go (a
 * strong reference here kept every evicted object's hub, sessions and sockets in memory). Once it is gone,
 * its sessions as last known stand in (its sockets outlive it) with no streams open.
 */
interface TunnelEntry {
  owner: WeakRef<object>
  read: (owner: object) => TunnelFigures
  lastSessions: number
}
const tunnels = new Map<string, TunnelEntry>()

const key = (labels: Record<string, string>) => JSON.stringify(labels)
const bump = (m: Map<string, number>, labels: Record<string, string>, by = 1) => m.set(key(labels), (m.get(key(labels)) ?? 0) + by)

/** A finished request (any route the worker answers). */
export function recordRequest(dataset: AnalyticsEngineDataset | undefined, r: { path: string; method: string; status: number; latencyMs: number; bytesIn: number; bytesOut: number; cluster?: string }): void {
  const route = routeOf(r.path)
  const status = String(r.status)
  bump(requests, { route, status })
  const h = latency.get(key({ route, status })) ?? { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }
  const s = r.latencyMs / 1000
  LATENCY_BUCKETS.forEach((b, i) => s <= b && h.counts[i]!++)
  h.sum += s
  h.count++
  latency.set(key({ route, status }), h)
  if (r.status === 401) bump(authFailures, { route })
  requestBytes.in += r.bytesIn
  requestBytes.out += r.bytesOut
  dataset?.writeDataPoint({ blobs: ['request', route, r.method, status, r.cluster ?? ''], doubles: [r.latencyMs, r.bytesIn, r.bytesOut], indexes: [r.cluster ?? route] })
}

/** A revocation answer the isolate used: from its cache, or asked of the TokenState object. */
export function recordRevocationCheck(dataset: AnalyticsEngineDataset | undefined, result: 'cached' | 'asked'): void {
  bump(revocationChecks, { result })
  dataset?.writeDataPoint({ blobs: ['revocation', result], doubles: [1], indexes: ['revocation'] })
}

/** Bytes of agent WebSocket messages into (`in`) and out of the edge. */
export function recordTunnelBytes(direction: 'in' | 'out', bytes: number): void {
  tunnelBytes[direction] += bytes
}

/**
 * A tunnel object's current instance (`owner`, read with `read`, which must not hold `owner` itself); the
 * latest one of a cluster replaces an earlier (hibernated) one.
 */
export function registerTunnel<T extends object>(clusterId: string, owner: T, read: (owner: T) => TunnelFigures): void {
  tunnels.set(clusterId, { owner: new WeakRef(owner), read: read as (owner: object) => TunnelFigures, lastSessions: tunnels.get(clusterId)?.lastSessions ?? 0 })
}

function tunnelFigures(e: TunnelEntry): TunnelFigures {
  const owner = e.owner.deref()
  if (!owner) return { sessions: e.lastSessions, streams: 0 }
  const f = e.read(owner)
  e.lastSessions = f.sessions
  return f
}

/** Agents came or went: a point for Analytics Engine (the Prometheus side reads the hubs at scrape time). */
export function recordTunnelChange(dataset: AnalyticsEngineDataset | undefined, clusterId: string, f: TunnelFigures): void {
  const e = tunnels.get(clusterId)
  if (e) e.lastSessions = f.sessions
  dataset?.writeDataPoint({ blobs: ['tunnel', clusterId, f.sessions > 0 ? 'connected' : 'disconnected'], doubles: [f.sessions, f.streams], indexes: [clusterId] })
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const labelText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

/** Everything above in the Prometheus text exposition format (0.0.4). */
export function prometheusText(): string {
  const out: string[] = []
  const family = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of samples) out.push(`${name}${labelText(labels)} ${v}`)
  }
  const parsed = (m: Map<string, number>) => [...m].map(([k, v]) => [JSON.parse(k) as Record<string, string>, v] as [Record<string, string>, number])
  const live = [...tunnels].map(([cluster, e]) => [cluster, tunnelFigures(e)] as const)
  family('drover_edge_tunnel_agents_connected', 'gauge', 'Agent sessions connected to this edge, all clusters.', [[{}, live.reduce((n, [, f]) => n + f.sessions, 0)]])
  family('drover_edge_tunnel_clusters_connected', 'gauge', 'Clusters with at least one agent session.', [[{}, live.filter(([, f]) => f.sessions > 0).length]])
  family('drover_edge_tunnel_sessions', 'gauge', 'Agent sessions per cluster.', live.map(([cluster, f]) => [{ cluster }, f.sessions]))
  family('drover_edge_tunnel_streams_open', 'gauge', 'Streams (requests, watches, exec) open on the tunnels.', [[{}, live.reduce((n, [, f]) => n + f.streams, 0)]])
  family('drover_edge_tunnel_bytes_total', 'counter', 'Bytes of agent WebSocket messages into and out of the edge.', [[{ direction: 'in' }, tunnelBytes.in], [{ direction: 'out' }, tunnelBytes.out]])
  family('drover_edge_request_bytes_total', 'counter', 'Request (in) and response (out) body bytes the edge saw a length for.', [[{ direction: 'in' }, requestBytes.in], [{ direction: 'out' }, requestBytes.out]])
  family('drover_edge_requests_total', 'counter', 'Requests answered, by route and status.', parsed(requests))
  out.push('# HELP drover_edge_request_duration_seconds Time to the response head, by route and status.', '# TYPE drover_edge_request_duration_seconds histogram')
  for (const [k, h] of latency) {
    const labels = JSON.parse(k) as Record<string, string>
    LATENCY_BUCKETS.forEach((b, i) => out.push(`drover_edge_request_duration_seconds_bucket${labelText({ ...labels, le: String(b) })} ${h.counts[i]}`))
    out.push(`drover_edge_request_duration_seconds_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`)
    out.push(`drover_edge_request_duration_seconds_sum${labelText(labels)} ${h.sum}`, `drover_edge_request_duration_seconds_count${labelText(labels)} ${h.count}`)
  }
  family('drover_edge_auth_failures_total', 'counter', 'Requests refused for a missing, invalid or revoked credential (401), by route.', parsed(authFailures))
  family('drover_edge_revocation_checks_total', 'counter', 'Revocation answers used: from the isolate cache, or asked of the token state object.', parsed(revocationChecks))
  return out.join('\n') + '\n'
}
