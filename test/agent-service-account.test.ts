import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreV1Api } from '@kubernetes/client-node'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServiceAccountToken } from '../agent/service-account.ts'
import { renderImportManifest } from '../workers/import/manifest.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { edgeKubeconfig, kubectlVia, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'

const CLUSTER = 'c-sa'
const AGENT_TOKEN = 'agent-token-sa'
const extra = (user: string) => ({ principalid: [`local://${user}`], username: [user] })

// `drover agent --service-account` against a lite cluster that has the import manifest's RBAC: the agent
// must serve as the service account (least privilege), not as the admin whose kubeconfig it was given.
describe('drover agent --service-account', () => {
  let c: DevCluster
  let edge: TestEdge
  let agent: AgentProcess
  const dir = mkdtempSync(join(tmpdir(), 'drover-sa-'))

  beforeAll(async () => {
    c = await devCluster('agent-sa', { mode: 'lite' })
    const manifest = renderImportManifest({ serverUrl: 'https://edge.invalid', clusterId: CLUSTER, token: 'unused', image: 'drover:test' })
    const applied = await c.kubectl(['apply', '-f', '-'], { input: manifest })
    if (applied.code !== 0) throw new Error(applied.stderr)
    // Not `view`: a lite cluster has no controller-manager to aggregate its rules.
    for (const args of [
      ['create', 'clusterrole', 'pod-reader', '--verb=get,list,watch', '--resource=pods'],
      ['create', 'clusterrolebinding', 'viewer', '--clusterrole=pod-reader', '--user=u-viewer'],
    ]) {
      const r = await c.kubectl(args)
      if (r.code !== 0) throw new Error(r.stderr)
    }
    edge = await startEdge(
      [
        { token: 'token-viewer', identity: { user: 'u-viewer', groups: ['system:authenticated'], extra: extra('u-viewer') }, clusters: [CLUSTER] },
        { token: 'token-nobody', identity: { user: 'u-nobody', groups: ['system:authenticated'], extra: extra('u-nobody') }, clusters: [CLUSTER] },
        // An extra key the agent's role does not list: only an over-privileged agent could impersonate it.
        { token: 'token-odd-extra', identity: { user: 'u-viewer', groups: [], extra: { 'not-granted': ['x'] } }, clusters: [CLUSTER] },
      ],
      { [AGENT_TOKEN]: CLUSTER },
    )
    agent = startAgent(edge, AGENT_TOKEN, c.kubeconfigPath, ['--service-account', 'cattle-system/drover-agent'])
    await waitConnected(await edgeKubeconfig(dir, edge, CLUSTER, 'token-viewer'))
  })
  afterAll(async () => {
    await agent?.[Symbol.asyncDispose]()
    await edge?.dispose()
    await c?.[Symbol.asyncDispose]()
  })

  it('serves users through the edge as themselves', async () => {
    const viewer = await edgeKubeconfig(dir, edge, CLUSTER, 'token-viewer')
    const pods = await kubectlVia(viewer, ['get', 'pods', '-A'])
    expect(pods.code, pods.stderr).toBe(0)
    const who = await kubectlVia(viewer, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])
    expect(who.stdout).toBe('u-viewer')
    const secrets = await kubectlVia(viewer, ['get', 'secrets', '-A'])
    expect(secrets.code).not.toBe(0)
    expect(secrets.stderr).toContain('User "u-viewer" cannot list resource "secrets"')
    const nobody = await kubectlVia(await edgeKubeconfig(dir, edge, CLUSTER, 'token-nobody'), ['get', 'pods', '-n', 'default'])
    expect(nobody.stderr).toContain('User "u-nobody" cannot list resource "pods"')
  })

  it('runs as the service account: it may not impersonate what its role does not grant', async () => {
    const odd = await kubectlVia(await edgeKubeconfig(dir, edge, CLUSTER, 'token-odd-extra'), ['get', 'pods', '-n', 'default'])
    expect(odd.code).not.toBe(0)
    expect(odd.stderr).toContain('User "system:serviceaccount:cattle-system:drover-agent" cannot impersonate resource "userextras/not-granted"')
    expect(agent.output()).toContain('serving as the service account')
  })

  it('renews the token into the same kubeconfig, which keeps working', async () => {
    const requestedAt = Date.now()
    const sa = await ServiceAccountToken.start(c.kubeConfig, { namespace: 'cattle-system', name: 'drover-agent' }, { logger: pino({ level: 'silent' }), expirationSeconds: 600 })
    try {
      const first = sa.kubeConfig.getCurrentUser()!.token
      // The requested 600 s lifetime, counted from the request (the apiserver rounds to the second), not
      // from now: independent of how long the request took.
      expect(sa.expiresAt).toBeGreaterThanOrEqual(requestedAt + 599_000)
      expect(sa.expiresAt).toBeLessThanOrEqual(Date.now() + 601_000)
      await sa.refresh()
      expect(sa.kubeConfig.getCurrentUser()!.token).not.toBe(first)
      const core = sa.kubeConfig.makeApiClient(CoreV1Api)
      expect((await core.listNode()).items).toEqual([])
      await expect(core.listNamespacedSecret({ namespace: 'cattle-system' })).rejects.toThrow(/403|forbidden/i)
    } finally {
      sa.stop()
    }
  })
})
