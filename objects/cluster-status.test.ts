import { describe, expect, it } from 'vitest'
import { retryDelayMs, statusPatch, statusRequest } from './cluster-status.ts'

const facts = { kubernetesVersion: 'v1.37.2', nodeCount: 2, capacity: { cpu: '4' }, allocatable: { cpu: '3' } }

describe('cluster status pushed by the tunnel object', () => {
  it('carries connected and the facts while an agent is connected', () => {
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [], facts })).toEqual({
      status: { connected: true, version: { gitVersion: 'v1.37.2' }, nodeCount: 2, capacity: { cpu: '4' }, allocatable: { cpu: '3' } },
    })
  })

  it('only says disconnected when the last agent drops, leaving the facts as they were', () => {
    expect(statusPatch({ clusterId: 'c-1', connected: false, sessions: [], facts })).toEqual({ status: { connected: false } })
  })

  it('patches the status subresource through cluster local as the edge', async () => {
    const req = statusRequest('c-1', { status: { connected: true } })
    expect(req.method).toBe('PATCH')
    expect(new URL(req.url).pathname).toBe('/apis/management.cattle.io/v3/clusters/c-1/status')
    expect(req.headers.get('content-type')).toBe('application/merge-patch+json')
    expect(req.headers.get('x-drover-cluster')).toBe('local')
    expect(JSON.parse(req.headers.get('x-drover-identity')!)).toMatchObject({ user: 'system:drover:edge' })
    expect(await req.json()).toEqual({ status: { connected: true } })
  })

  it('backs off, capped', () => {
    expect([0, 1, 2, 10].map(retryDelayMs)).toEqual([1000, 2000, 4000, 30000])
  })
})
