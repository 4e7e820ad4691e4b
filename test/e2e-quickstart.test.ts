// The README quick start, as a new user does it: `drover start`, log in with the printed credentials,
// create a cluster through /v3, import a second dev cluster with its registration manifest, run its
// agent as the manifest's service account, and use kubectl through the edge.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { devCluster, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { kubectlVia } from './support/proxy-fixture.ts'
import { waitForOutput } from './support/streams.ts'

const ROOT = join(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'drover-e2e-'))
let stack: ChildProcess
let output = ''
let state: { url: string; adminUsername: string; adminPassword: string; adminToken: string; caFile: string; metricsToken: string }
let dispatcher: Agent
let second: DevCluster
let clusterId = ''
/** The registration manifest's URL, whose token must not reach the audit log. */
let manifestUrl = ''
/** Every child this file starts, stopped in afterAll whatever a test left running. */
const children: ChildProcess[] = []

async function api<T = Record<string, unknown>>(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, state.url), {
    method, dispatcher,
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as T }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

function drover(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'drover.js'), ...args], { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  return Object.assign(child, { out: () => out })
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill(signal)
  await exited
}

const connectedStatus = async (token: string) => {
  const res = await api<{ conditions?: { type: string; status: string }[] }>('GET', `/v3/clusters/${clusterId}`, token)
  return res.body.conditions?.find((c) => c.type === 'Connected')?.status
}

const kubectl = (kubeconfig: string, args: string[], input?: string) => kubectlVia(kubeconfig, args, input === undefined ? {} : { input })

beforeAll(async () => {
  const child = drover(['start', '--port', '0'])
  stack = child
  // Rejects with the output if `drover start` exits first.
  await waitForOutput(child, /drover is ready/, 300_000)
  output = child.out()
  state = JSON.parse(readFileSync(join(work, '.drover', 'state.json'), 'utf8')) as typeof state
  dispatcher = new Agent({ connect: { ca: readFileSync(state.caFile, 'utf8') } })
  second = await devCluster('e2e-second', { mode: 'full' })
}, 600_000)

afterAll(async () => {
  for (const child of children.filter((c) => c !== stack)) await stopChild(child, 'SIGTERM')
  if (stack) await stopChild(stack)
  await second?.[Symbol.asyncDispose]()
  await dispatcher?.close()
})

describe('quick start, end to end', () => {
  let admin = ''
  let agent: ReturnType<typeof drover> | undefined
  let agentToken = ''
  const startAgent = async () => {
    agent = drover(['agent', '--server', state.url, '--token', agentToken, '--kubeconfig', second.kubeconfigPath, '--service-account', 'cattle-system/drover-agent'], { NODE_EXTRA_CA_CERTS: state.caFile })
    await until('the agent to connect', async () => (agent!.out().includes('connected to the edge') ? true : undefined), 60_000)
  }

  it('prints the URL and admin credentials, and writes them to .drover/state.json', () => {
    expect(output).toContain(state.url)
    expect(output).toContain(`${state.adminUsername} / ${state.adminPassword}`)
    expect(state.adminToken).toMatch(/^token-[a-z0-9]{5}:/)
    expect(existsSync(join(work, '.drover', 'state.json'))).toBe(true)
  })

  it('logs in with the printed credentials and creates a cluster with a registration command', async () => {
    const login = await api<{ token: string }>('POST', '/v3-public/localProviders/local?action=login', undefined, { username: state.adminUsername, password: state.adminPassword, responseType: 'json' })
    expect(login.status).toBe(201)
    admin = login.body.token
    const created = await api<{ id: string; state: string }>('POST', '/v3/clusters', admin, { name: 'imported' })
    expect(created.status).toBe(201)
    clusterId = created.body.id
    const crt = await until('a registration token', async () => {
      const res = await api<{ data: { manifestUrl?: string; command?: string; insecureCommand?: string }[] }>('GET', `/v3/clusterregistrationtokens?clusterId=${clusterId}`, admin)
      return res.body.data[0]?.manifestUrl ? res.body.data[0] : undefined
    }, 30_000)
    manifestUrl = crt.manifestUrl!
    expect(crt.command).toBe(`kubectl apply -f ${crt.manifestUrl}`)
    expect(crt.insecureCommand).toContain(crt.manifestUrl)

    // The manifest applies cleanly to the second cluster, with real kubectl.
    const manifest = await fetch(crt.manifestUrl!, { dispatcher })
    expect(manifest.status).toBe(200)
    const yaml = await manifest.text()
    const applied = await kubectl(second.kubeconfigPath, ['apply', '-f', '-'], yaml)
    expect(applied.stderr).toBe('')
    const secret = await kubectl(second.kubeconfigPath, ['-n', 'cattle-system', 'get', 'secret', 'drover-agent-credentials', '-o', 'jsonpath={.data.token}'])
    agentToken = Buffer.from(secret.stdout, 'base64').toString()
    expect(agentToken.startsWith(`${clusterId}:`)).toBe(true)
    const wrong = await fetch(crt.manifestUrl!.replace(/\/v3\/import\/[a-z0-9]+_/, '/v3/import/wrongwrongwrongwrongwrong_'), { dispatcher })
    expect(wrong.status).toBe(401)
  })

  it('runs the agent as the manifest\'s service account; Connected follows it within 5 s', async () => {
    await startAgent()
    const t0 = Date.now()
    await until('Connected=True', async () => ((await connectedStatus(admin)) === 'True' ? true : undefined), 5_000)
    console.log(`Connected=True ${Date.now() - t0} ms after the agent connected`)
    await stopChild(agent!, 'SIGKILL')
    const t1 = Date.now()
    await until('Connected=False', async () => ((await connectedStatus(admin)) === 'False' ? true : undefined), 5_000)
    console.log(`Connected=False ${Date.now() - t1} ms after the agent was killed`)
    await startAgent()
    const t2 = Date.now()
    await until('Connected=True again', async () => ((await connectedStatus(admin)) === 'True' ? true : undefined), 5_000)
    console.log(`Connected=True again ${Date.now() - t2} ms after the agent reconnected`)
  })

  it('generates a kubeconfig; kubectl gets, applies and watches through the edge', async () => {
    const gen = await api<{ config: string }>('POST', `/v3/clusters/${clusterId}?action=generateKubeconfig`, admin)
    expect(gen.status).toBe(200)
    const file = join(work, 'imported.kubeconfig')
    writeFileSync(file, gen.body.config)
    expect((parse(gen.body.config) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server).toBe(`${state.url}/k8s/clusters/${clusterId}`)
    const nodes = await kubectl(file, ['get', 'nodes', '-o', 'name'])
    expect(nodes.stdout).toContain('node/e2e-second-node-0')
    const watch = spawn(await kubectlBin(), ['--kubeconfig', file, 'get', 'configmaps', '-n', 'default', '--watch', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(watch)
    let seen = ''
    watch.stdout.on('data', (d: Buffer) => (seen += d.toString()))
    await sleep(1000)
    const apply = await kubectl(file, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'through-the-edge', namespace: 'default' }, data: { a: 'b' } }))
    expect(apply.stdout).toContain('configmap/through-the-edge')
    await until('the watch to see the new ConfigMap', async () => (seen.includes('configmap/through-the-edge') ? true : undefined), 20_000)
    watch.kill()
    await new Promise((r) => (watch.exitCode === null ? watch.once('exit', r) : r(null)))
  })

  it('holds a cluster-member to its role: pods yes, secrets cluster-wide no', async () => {
    const user = await api<{ id: string }>('POST', '/v3/users', admin, { username: 'member', password: 'member-password-1234' })
    expect(user.status).toBe(201)
    const crtb = await api('POST', '/v3/clusterroletemplatebindings', admin, { clusterId, roleTemplateId: 'cluster-member', userId: user.body.id })
    expect(crtb.status, JSON.stringify(crtb.body)).toBe(201)
    const login = await api<{ token: string }>('POST', '/v3-public/localProviders/local?action=login', undefined, { username: 'member', password: 'member-password-1234', responseType: 'json' })
    expect(login.status, JSON.stringify(login.body)).toBe(201)
    const token = login.body.token
    const file = join(work, 'member.kubeconfig')
    await until('the member to see the cluster', async () => {
      const gen = await api<{ config?: string }>('POST', `/v3/clusters/${clusterId}?action=generateKubeconfig`, token)
      if (!gen.body.config) return undefined
      writeFileSync(file, gen.body.config)
      return true
    }, 30_000)
    await until('the binding to be materialised downstream', async () => ((await kubectl(file, ['get', 'pods', '-A', '-o', 'name'])).code === 0 ? true : undefined), 30_000)
    const secrets = await kubectl(file, ['get', 'secrets', '-A'])
    expect(secrets.code).not.toBe(0)
    expect(secrets.stderr).toMatch(/forbidden/i)
    // A member cannot grant itself more.
    const escalate = await api('POST', '/v3/clusterroletemplatebindings', token, { clusterId, roleTemplateId: 'cluster-owner', userId: user.body.id })
    expect(escalate.status).toBe(403)
  })

  it('audits every request to .drover/logs/audit.log without a credential, and serves /metrics to its token', async () => {
    const auditFile = join(work, '.drover', 'logs', 'audit.log')
    const text = readFileSync(auditFile, 'utf8')
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { verb?: string; requestURI: string; cluster?: string; status: number; user?: { id: string } })
    expect(lines.find((l) => l.verb === 'action:login')).toMatchObject({ status: 201 })
    // kubectl as the admin (a u- user) through the edge, beside the runner's own requests.
    expect(lines.some((l) => l.cluster === clusterId && l.requestURI.startsWith(`/k8s/clusters/${clusterId}/`) && l.status === 200 && /^u-/.test(l.user?.id ?? ''))).toBe(true)
    expect(lines.some((l) => l.requestURI.startsWith('/v3/import/[redacted]_'))).toBe(true)
    const importToken = /\/v3\/import\/([^_]+)_/.exec(manifestUrl)![1]!
    for (const secret of [state.adminPassword, state.adminToken.split(':')[1]!, admin.split(':')[1]!, agentToken.split(':')[1]!, importToken, 'member-password-1234']) {
      expect(text).not.toContain(secret)
    }
    const metrics = await fetch(new URL('/metrics', state.url), { dispatcher, headers: { authorization: `Bearer ${state.metricsToken}` } })
    expect(metrics.status).toBe(200)
    const body = await metrics.text()
    expect(body).toMatch(/^drover_edge_tunnel_clusters_connected [2-9]/m)
    expect(body).toMatch(/^drover_edge_requests_total\{route="k8s-proxy",status="200"\} [1-9]/m)
    expect((await fetch(new URL('/metrics', state.url), { dispatcher })).status).toBe(401)
  })
})
