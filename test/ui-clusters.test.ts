// The web UI's reading of a cluster (ui/src/api/clusters.ts): the state it shows must be the one the
// edge's /v3 gives (workers/v3/clusters.ts), and quantities are Kubernetes quantities.
import { describe, expect, it } from 'vitest'
import { clusterState, formatBytes, quantity, type ClusterResource } from '../ui/src/api/clusters.ts'

const cluster = (status: ClusterResource['status'], deleting = false): ClusterResource => ({
  id: 'c-1',
  type: 'management.cattle.io.cluster',
  links: { self: '', view: '' },
  metadata: { name: 'c-1', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  ...(status ? { status } : {}),
})

describe('cluster state as the UI shows it', () => {
  it('is pending before an agent ever reported, active when Ready, unavailable when not, removing when deleted', () => {
    expect(clusterState(cluster(undefined))).toBe('pending')
    expect(clusterState(cluster({ conditions: [{ type: 'Ready', status: 'False' }] }))).toBe('pending')
    expect(clusterState(cluster({ version: { gitVersion: 'v1.37.2' }, conditions: [{ type: 'Ready', status: 'True' }] }))).toBe('active')
    expect(clusterState(cluster({ version: { gitVersion: 'v1.37.2' }, conditions: [{ type: 'Ready', status: 'False' }] }))).toBe('unavailable')
    expect(clusterState(cluster({ conditions: [{ type: 'Ready', status: 'True' }] }, true))).toBe('removing')
  })

  it('reads Kubernetes quantities', () => {
    expect(quantity('4')).toBe(4)
    expect(quantity('500m')).toBe(0.5)
    expect(quantity('16Gi')).toBe(16 * 2 ** 30)
    expect(quantity('1k')).toBe(1000)
    expect(quantity('12Qi')).toBeUndefined()
    expect(quantity(undefined)).toBeUndefined()
    expect(formatBytes('16417196Ki')).toBe('15.7 GiB')
    expect(formatBytes('512Mi')).toBe('512 MiB')
    expect(formatBytes(undefined)).toBe('—')
  })
})
