import type { RequestOptions } from 'node:https'
import { KubeConfig } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { silentLogger as logger } from '../test/support/logger.ts'
import { ManualClock } from '../test/support/manual-clock.ts'
import { parseServiceAccount, ServiceAccountToken, serviceAccountKubeConfig, type IssuedToken } from './service-account.ts'

function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false, caData: Buffer.from('CA PEM').toString('base64'), tlsServerName: 'kube' }],
    users: [{ name: 'admin', certData: Buffer.from('CERT').toString('base64'), keyData: Buffer.from('KEY').toString('base64'), username: 'a', password: 'b' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'admin' }],
    currentContext: 'ctx',
  })
  return kc
}

describe('the service-account kubeconfig', () => {
  it('keeps the cluster and carries only the bearer token, none of the admin credentials', async () => {
    const kc = serviceAccountKubeConfig(adminKubeConfig(), 'sa-token')
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:6443', tlsServerName: 'kube', caData: Buffer.from('CA PEM').toString('base64') })
    const user = kc.getCurrentUser()!
    expect(user.token).toBe('sa-token')
    expect([user.certData, user.certFile, user.keyData, user.keyFile, user.username, user.password, user.exec, user.authProvider]).toEqual(Array(8).fill(undefined))
    const opts: RequestOptions = {}
    await kc.applyToHTTPSOptions(opts)
    expect((opts.headers as Record<string, string>).Authorization).toBe('Bearer sa-token')
    expect([opts.cert, opts.key, opts.auth]).toEqual([undefined, undefined, undefined])
    expect(String(opts.ca)).toBe('CA PEM')
  })

  it.each(['default', 'a/b/c', 'Ns/name', '/name', 'ns/'])('refuses --service-account %j', (v) => {
    expect(() => parseServiceAccount(v)).toThrow(/<namespace>\/<name>/)
  })

  it('parses <namespace>/<name>', () => {
    expect(parseServiceAccount('cattle-system/drover-agent')).toEqual({ namespace: 'cattle-system', name: 'drover-agent' })
  })
})

describe('service-account token renewal', () => {
  it('renews at 80% of the lifetime the apiserver granted, into the same KubeConfig, and retries failures', async () => {
    const clock = new ManualClock(1_000_000)
    const answers: (IssuedToken | Error)[] = [
      { token: 't1', expiresAt: clock.now() + 600_000 },
      new Error('apiserver unavailable'),
      { token: 't2', expiresAt: clock.now() + 480_000 + 10_000 + 3_600_000 },
    ]
    const request = () => {
      const a = answers.shift()!
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a)
    }
    const sa = await ServiceAccountToken.start(adminKubeConfig(), { namespace: 'ns', name: 'sa' }, { logger, clock, request, retryMs: 10_000 })
    const kc = sa.kubeConfig
    expect(kc.getCurrentUser()?.token).toBe('t1')
    expect([clock.pending(), clock.nextDelay()]).toEqual([1, 480_000])

    await clock.advance(480_000) // renewal fails: t1 stays, a retry is scheduled
    expect(kc.getCurrentUser()?.token).toBe('t1')
    expect([clock.pending(), clock.nextDelay()]).toEqual([1, 10_000])

    await clock.advance(10_000)
    expect(kc.getCurrentUser()?.token).toBe('t2')
    expect(sa.kubeConfig).toBe(kc)
    expect([clock.pending(), clock.nextDelay()]).toEqual([1, 2_880_000])
    sa.stop()
    expect(clock.pending()).toBe(0)
  })

  it('fails to start, naming the service account, when no first token can be had', async () => {
    const request = () => Promise.reject(new Error('serviceaccounts "sa" not found'))
    await expect(ServiceAccountToken.start(adminKubeConfig(), { namespace: 'ns', name: 'sa' }, { logger, request })).rejects.toThrow(
      /service account ns\/sa: .*not found/,
    )
  })
})
