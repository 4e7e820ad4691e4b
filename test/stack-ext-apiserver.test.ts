// `drover start`'s extension API server (cli/stack-ext-apiserver.ts) against a real aggregator (lite dev
// cluster): the bundled `drover ext-apiserver` as a child, as its own service account, registered and
// Available; unregistered when stopped and when it dies.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXT_APISERVICE } from '../protocol/api/ext.ts'
import { ensurePrograms } from '../infra/build/programs.ts'
import { applyManagement } from '../cli/management-setup.ts'
import { requestHeaderCaFor, servingPki, startStackExtApiServer, type StackExtApiServer } from '../cli/stack-ext-apiserver.ts'
import { EDGE_USER } from '../infra/management/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'

const REVIEW = JSON.stringify({ apiVersion: 'ext.cattle.io/v1', kind: 'DirectoryBindReview', spec: { provider: 'openldap', username: 'alice', password: 'secret' } })

describe('drover start\'s extension API server', () => {
  let c: DevCluster
  let dir: string
  let ext: StackExtApiServer | undefined
  const exits: string[] = []

  const start = async () => {
    const requestHeaderCaFile = await requestHeaderCaFor(c.kubeconfigPath, c.name)
    return startStackExtApiServer({ adminKubeconfig: c.kubeconfigPath, dir, log: () => {}, ...(requestHeaderCaFile ? { requestHeaderCaFile } : {}) }, (m) => exits.push(m))
  }
  const apiService = () => c.kubectl(['get', `apiservice/${EXT_APISERVICE}`, '-o', 'name'])

  beforeAll(async () => {
    c = await devCluster('stack-ext', { mode: 'lite' })
    await ensurePrograms()
    await applyManagement(c.kubeconfigPath)
    dir = await mkdtemp(join(tmpdir(), 'drover-stack-ext-'))
    await mkdir(join(dir, 'logs'))
  }, 300_000)
  afterAll(async () => {
    await ext?.stop()
    await c?.[Symbol.asyncDispose]()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('registers it; the aggregator lists its resources', async () => {
    ext = await start()
    const group = await c.kubectl(['get', '--raw', '/apis/ext.cattle.io/v1'])
    expect(group.code, group.stderr).toBe(0)
    const names = (JSON.parse(group.stdout) as { resources: { name: string }[] }).resources.map((r) => r.name)
    expect(names).toContain('directorybindreviews')
    expect((await c.kubectl(['get', `apiservice/${EXT_APISERVICE}`, '-o', 'jsonpath={.spec.service.name}'])).stdout).toBe('drover-ext-apiserver')
  }, 120_000)

  it('runs as its service account, with its RBAC and no more', async () => {
    const kubeconfig = join(dir, 'ext-apiserver', 'kubeconfig')
    expect(await readFile(kubeconfig, 'utf8')).not.toContain('client-key-data')
    const whoami = await c.kubectl(['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])
    expect(whoami.stdout).toBe('system:serviceaccount:cattle-system:drover-ext-apiserver')
    expect((await c.kubectl(['--kubeconfig', kubeconfig, 'auth', 'can-i', 'list', 'authconfigs.management.cattle.io'])).stdout.trim()).toBe('yes')
    expect((await c.kubectl(['--kubeconfig', kubeconfig, 'auth', 'can-i', 'list', 'secrets', '-A'])).stdout.trim()).toBe('no')
    // The edge's review goes through: the server's SubjectAccessReview and its AuthConfig read both
    // succeed with that identity (no AuthConfig yet: an Invalid refusal, not a 403 or a 500).
    const asEdge = await c.kubectl(['create', '--as', EDGE_USER, '-o', 'json', '-f', '-'], { input: REVIEW })
    expect(asEdge.code, asEdge.stderr).toBe(0)
    expect(JSON.parse(asEdge.stdout)).toMatchObject({ status: { authenticated: false, refusal: 'Invalid' } })
    const asNobody = await c.kubectl(['create', '--as', 'nobody', '-o', 'json', '-f', '-'], { input: REVIEW })
    expect(asNobody.stderr).toMatch(/forbidden/i)
  }, 60_000)

  it('unregisters before stopping, and keeps its serving CA for the next start', async () => {
    const caBefore = (await servingPki(dir)).caPem
    await ext!.stop()
    ext = undefined
    expect((await apiService()).stderr).toMatch(/NotFound/)
    const discovery = await c.kubectl(['api-resources', '-o', 'name'])
    expect(discovery.code, discovery.stderr).toBe(0)
    expect((await servingPki(dir)).caPem).toBe(caBefore)
  }, 60_000)

  it('says so and unregisters when the process dies', async () => {
    ext = await start()
    expect((await apiService()).code).toBe(0)
    process.kill(ext.pid, 'SIGKILL')
    while (exits.length === 0) await sleep(100)
    expect(exits[0]).toMatch(/extension API server exited .*APIService v1\.ext\.cattle\.io was removed/)
    while ((await apiService()).code === 0) await sleep(200)
    expect((await apiService()).stderr).toMatch(/NotFound/)
  }, 120_000)
})
