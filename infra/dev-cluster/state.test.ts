import { describe, expect, it } from 'vitest'
import { DevClusterError, frontProxyOf, type DevClusterRecord } from './state.ts'

const record = (extra: Partial<DevClusterRecord> = {}): DevClusterRecord => ({
  name: 'old-one', mode: 'lite', dir: '/d', server: '', kubeconfig: '/d/k', ports: {}, components: [], startedAt: '', kubernetesVersion: '', ...extra,
})

describe('frontProxyOf', () => {
  it('gives the front-proxy PKI of a cluster record that has it', () => {
    const frontProxy = { caCert: 'ca.crt', caKey: 'ca.key', clientCert: 'c.crt', clientKey: 'c.key' }
    expect(frontProxyOf(record({ frontProxy }))).toBe(frontProxy)
  })

  it('tells how to restart a cluster whose record predates it', () => {
    expect(() => frontProxyOf(record())).toThrow(DevClusterError)
    expect(() => frontProxyOf(record())).toThrow(/"old-one" was started before .*"drover dev-cluster down old-one", then "up"/)
  })
})
