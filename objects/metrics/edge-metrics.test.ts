import { describe, expect, it } from 'vitest'
import { prometheusText, recordRequest, recordRevocationCheck, registerTunnel, routeOf } from './edge-metrics.ts'

describe('the edge metrics', () => {
  it('counts by API family, never by path', () => {
    expect(['/k8s/clusters/c-1/api/v1/pods', '/v3/connect', '/v3/import/x_c-1.yaml', '/v3-public/authProviders', '/v3/users', '/v1/secrets', '/ping'].map(routeOf))
      .toEqual(['k8s-proxy', 'connect', 'import', 'v3-public', 'v3', 'v1', 'other'])
  })

  it('renders requests, latency buckets, auth failures, revocation checks and tunnels as Prometheus text, and writes Analytics Engine points', () => {
    const points: AnalyticsEngineDataPoint[] = []
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p!) } as AnalyticsEngineDataset
    recordRequest(dataset, { path: '/v3/users', method: 'GET', status: 401, latencyMs: 30, bytesIn: 0, bytesOut: 10 })
    recordRevocationCheck(dataset, 'asked')
    const hub = { sessions: 2, streams: 3 }
    registerTunnel('c-metrics', hub, (h) => ({ sessions: h.sessions, streams: h.streams }))
    const text = prometheusText()
    expect(text).toContain('drover_edge_requests_total{route="v3",status="401"} 1')
    expect(text).toContain('drover_edge_request_duration_seconds_bucket{route="v3",status="401",le="0.05"} 1')
    expect(text).toContain('drover_edge_request_duration_seconds_bucket{route="v3",status="401",le="0.025"} 0')
    expect(text).toContain('drover_edge_auth_failures_total{route="v3"} 1')
    expect(text).toContain('drover_edge_revocation_checks_total{result="asked"} 1')
    expect(text).toContain('drover_edge_tunnel_sessions{cluster="c-metrics"} 2')
    expect(text).toMatch(/^# TYPE drover_edge_request_duration_seconds histogram$/m)
    expect(points).toEqual([
      { blobs: ['request', 'v3', 'GET', '401', ''], doubles: [30, 0, 10], indexes: ['v3'] },
      { blobs: ['revocation', 'asked'], doubles: [1], indexes: ['revocation'] },
    ])
  })
})
