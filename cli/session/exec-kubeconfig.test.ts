import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { currentDrover, execKubeconfig } from './exec-kubeconfig.ts'

describe('the exec kubeconfig', () => {
  const base = { server: 'https://edge.example:8443', clusterId: 'c-abc12', name: 'prod', plugin: { command: '/opt/node/bin/node', args: ['/opt/drover/bin/drover.js'] } }

  it('runs drover token for the cluster through the edge, with the stored CA and no token', () => {
    const text = execKubeconfig({ ...base, tls: { cacert: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n' } })
    const doc = parse(text)
    expect(doc['current-context']).toBe('prod')
    expect(doc.clusters[0].cluster).toEqual({ server: 'https://edge.example:8443/k8s/clusters/c-abc12', 'certificate-authority-data': Buffer.from('-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n').toString('base64') })
    expect(doc.users[0].user).toEqual({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: '/opt/node/bin/node',
        args: ['/opt/drover/bin/drover.js', 'token', '--server', 'https://edge.example:8443', '--cluster', 'c-abc12'],
        interactiveMode: 'IfAvailable',
        provideClusterInfo: false,
        installHint: expect.stringContaining('drover login https://edge.example:8443'),
      },
    })
    expect(text).not.toMatch(/token:/)
  })

  it('carries insecure-skip-tls-verify when the login used it', () => {
    expect(parse(execKubeconfig({ ...base, tls: { insecureSkipTlsVerify: true } })).clusters[0].cluster['insecure-skip-tls-verify']).toBe(true)
  })

  it('invokes the running Node with the absolute entry script', () => {
    expect(currentDrover(['/usr/bin/node', 'bin/drover.js', 'kubeconfig'], '/opt/node24/bin/node')).toEqual({ command: '/opt/node24/bin/node', args: [`${process.cwd()}/bin/drover.js`] })
  })
})
