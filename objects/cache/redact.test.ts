import { describe, expect, it } from 'vitest'
import { isRedacted, storable } from './redact.ts'

const meta = (extra: Record<string, unknown> = {}) => ({
  name: 'x',
  namespace: 'ns',
  managedFields: [{ manager: 'kubectl' }],
  annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"dmFsdWU="}}', keep: 'yes' },
  ...extra,
})

describe('what the cache stores of an object', () => {
  it('drops managedFields from every object and leaves the rest alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(), data: { k: 'v' } }
    const stored = storable({ group: '', kind: 'ConfigMap' }, cm)
    expect(stored).toEqual({ ...cm, metadata: { name: 'x', namespace: 'ns', annotations: cm.metadata.annotations } })
    expect(isRedacted({ group: '', kind: 'ConfigMap' })).toBe(false)
  })

  it('keeps a Secret\'s type and keys, never its values or the last-applied copy of them', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: meta(), data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } }
    const stored = storable({ group: '', kind: 'Secret' }, secret)
    expect(stored).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'x', namespace: 'ns', annotations: { keep: 'yes' } },
      data: { 'tls.crt': '', 'tls.key': '' },
    })
    expect(JSON.stringify(stored)).not.toMatch(/dmFsdWU|Y2VydA|a2V5/)
    expect(isRedacted({ group: '', kind: 'Secret' })).toBe(true)
  })

  it('keeps no token: Rancher Tokens lose the hash, registration tokens all but their expiry', () => {
    const token = storable({ group: 'management.cattle.io', kind: 'Token' }, { kind: 'Token', metadata: meta(), token: 'hash', userId: 'u-1', ttl: 0 })
    expect(token).toEqual({ kind: 'Token', metadata: { name: 'x', namespace: 'ns', annotations: { keep: 'yes' } }, userId: 'u-1', ttl: 0 })
    const crt = storable(
      { group: 'management.cattle.io', kind: 'ClusterRegistrationToken' },
      { kind: 'ClusterRegistrationToken', metadata: meta(), spec: { clusterName: 'c-1' }, status: { token: 't0k3n', command: 'kubectl apply -f https://e/v3/import/t0k3n_c-1.yaml', manifestUrl: 'https://e/v3/import/t0k3n_c-1.yaml', expiresAt: '2027-01-01T00:00:00Z' } },
    )
    expect(crt).toMatchObject({ spec: { clusterName: 'c-1' }, status: { expiresAt: '2027-01-01T00:00:00Z' } })
    expect(JSON.stringify(crt)).not.toContain('t0k3n')
    const ext = storable({ group: 'ext.cattle.io', kind: 'Token' }, { kind: 'Token', metadata: meta(), status: { value: 'secret-value', hash: 'h', expired: false } })
    expect(ext.status).toEqual({ expired: false })
  })
})
