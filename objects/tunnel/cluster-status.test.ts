import { describe, expect, it } from 'vitest'
import { pushStatus, retryDelayMs, statusPatch } from './cluster-status.ts'

const facts = { kubernetesVersion: 'v1.37.2', nodeCount: 2, capacity: { cpu: '4' }, allocatable: { cpu: '3' } }

describe('cluster status pushed by the tunnel object', () => {
  it('carries connected and the facts while an agent is connected', () => {
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [], facts })).toEqual({
      status: { connected: true, version: { gitVersion: 'v1.37.2' }, nodeCount: 2, capacity: { cpu: '4' }, allocatable: { cpu: '3' }, componentStatuses: null },
    })
  })

  it("carries the apiserver's readiness as Rancher's kube-apiserver component status", () => {
    const down = { ...facts, apiServer: { ready: false, message: '/readyz: etcd failed' } }
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [], facts: down }).status.componentStatuses).toEqual([
      { name: 'kube-apiserver', conditions: [{ type: 'Healthy', status: 'False', message: '/readyz: etcd failed' }] },
    ])
    const up = { ...facts, apiServer: { ready: true } }
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [], facts: up }).status.componentStatuses).toEqual([
      { name: 'kube-apiserver', conditions: [{ type: 'Healthy', status: 'True' }] },
    ])
  })

  it('clears the readiness for an agent that reports none, and leaves it alone before any facts or once disconnected', () => {
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [], facts }).status).toHaveProperty('componentStatuses', null)
    expect(statusPatch({ clusterId: 'c-1', connected: true, sessions: [] }).status).not.toHaveProperty('componentStatuses')
    expect(statusPatch({ clusterId: 'c-1', connected: false, sessions: [], facts: { apiServer: { ready: false } } }).status).not.toHaveProperty('componentStatuses')
  })

  it('only says disconnected when the last agent drops, leaving the facts as they were', () => {
    expect(statusPatch({ clusterId: 'c-1', connected: false, sessions: [], facts })).toEqual({ status: { connected: false } })
  })

  it('patches the status subresource through cluster local as the edge', async () => {
    const seen: Request[] = []
    const local = { fetch: async (req: Request) => (seen.push(req), Response.json({ metadata: { name: 'c-1' } })) }
    expect(await pushStatus(local, 'c-1', { status: { connected: true } })).toBe(true)
    const req = seen[0]!
    expect(req.method).toBe('PATCH')
    expect(new URL(req.url).pathname).toBe('/apis/management.cattle.io/v3/clusters/c-1/status')
    expect(req.headers.get('content-type')).toBe('application/merge-patch+json')
    expect(req.headers.get('x-drover-cluster')).toBe('local')
    expect(JSON.parse(req.headers.get('x-drover-identity')!)).toMatchObject({ user: 'system:drover:edge' })
    expect(await req.json()).toEqual({ status: { connected: true } })
  })

  it('is done when the Cluster does not exist, and retried when the management cluster cannot answer', async () => {
    const answering = (status: number) => ({ fetch: async () => Response.json({ type: 'error', status, message: 'x' }, { status }) })
    expect(await pushStatus(answering(404), 'c-gone', { status: {} })).toBe(true)
    expect(await pushStatus(answering(503), 'c-1', { status: {} })).toBe(false)
    expect(await pushStatus(answering(500), 'c-1', { status: {} })).toBe(false)
  })

  it('backs off, capped', () => {
    expect([0, 1, 2, 10].map(retryDelayMs)).toEqual([1000, 2000, 4000, 30000])
  })
})
