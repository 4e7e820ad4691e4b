// A management stack for cross-component tests: a real management dev cluster, the edge in workerd with
// real secrets, cluster `local`'s agent, the management RBAC, and (optionally) the controller runner.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureBootstrapAdmin, type BootstrapAdmin } from '../../controller-runner/bootstrap/admin.ts'
import { ensureLocalCluster } from '../../controller-runner/bootstrap/local-cluster.ts'
import { generateEdgeSecrets, type EdgeSecrets } from '../../infra/edge/secrets.ts'
import { kubeConfigTransport } from '../../node/kube/index.ts'
import { KubeClient } from '../../protocol/kube/index.ts'
import { builtinGlobalRoles, builtinRoleTemplates, downstreamRbac, managementRbac } from '../../infra/management/index.ts'
import { devCluster, type DevCluster } from './dev-cluster.ts'
import { startAgent, startEdge, type AgentProcess, type TestEdge, type UserToken } from './proxy-fixture.ts'

const ROOT = join(import.meta.dirname, '..', '..')

export interface ApiResult<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
}

export interface Api {
  get<T = Record<string, unknown>>(path: string): Promise<ApiResult<T>>
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<ApiResult<T>>
  put<T = Record<string, unknown>>(path: string, body: unknown): Promise<ApiResult<T>>
  del<T = Record<string, unknown>>(path: string): Promise<ApiResult<T>>
}

export interface MgmtStack extends AsyncDisposable {
  cluster: DevCluster
  edge: TestEdge
  agent: AgentProcess
  secrets: EdgeSecrets
  admin: BootstrapAdmin
  /** Requests to the edge with a token (or none). */
  api(token?: string): Api
  /** Logs in through `/v3-public`; returns the token value. */
  login(username: string, password: string): Promise<string>
  /** Waits until management requests pass the local tunnel. */
  ready(): Promise<void>
}

export function apiClient(edge: TestEdge, token?: string, extraHeaders: Record<string, string> = {}): Api {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders }
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await edge.fetch(path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : {}
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed as T }
  }
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    put: (p, b) => call('PUT', p, b),
    del: (p) => call('DELETE', p),
  }
}

async function applyObjects(cluster: DevCluster, objects: unknown[]): Promise<void> {
  const r = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
}

export interface StackOptions {
  /** Run the controller runner (`drover runner`); without it the admin is bound to cluster-admin directly. */
  runner?: boolean
  adminPassword?: string
  /** `full` for pods that run (kwok: logs, exec); default `lite`. */
  mode?: 'lite' | 'full'
  /** Extra edge bindings (e.g. DROVER_METRICS_TOKEN) and fixed test tokens. */
  bindings?: Record<string, string>
  users?: UserToken[]
  /** Extra `drover agent` flags for the local agent (e.g. --metrics-addr). */
  agentArgs?: string[]
}

export async function mgmtStack(name: string, opts: StackOptions = {}): Promise<MgmtStack> {
  const cluster = await devCluster(name, { mode: opts.mode ?? 'lite' })
  const disposers: (() => PromiseLike<unknown>)[] = [() => cluster[Symbol.asyncDispose]()]
  try {
    await applyObjects(cluster, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system' } },
      ...managementRbac(),
      ...downstreamRbac(),
    ])
    const secrets = await generateEdgeSecrets()
    const edge = await startEdge(opts.users ?? [], {}, { ...opts.bindings, ...secrets })
    disposers.unshift(() => edge[Symbol.asyncDispose]())
    const agent = startAgent(edge, secrets.DROVER_LOCAL_AGENT_TOKEN, cluster.kubeconfigPath, opts.agentArgs)
    disposers.unshift(() => agent[Symbol.asyncDispose]())
    let runner: ChildProcess | undefined
    if (opts.runner) {
      runner = spawn(process.execPath, [join(ROOT, 'bin', 'drover.js'), 'runner', '--kubeconfig', cluster.kubeconfigPath, '--edge-url', edge.url.origin, '--edge-ca', edge.caFile, '--server-url', edge.url.origin, '--metrics-addr', '127.0.0.1:0'], {
        env: { ...process.env, DROVER_EDGE_TOKEN: secrets.DROVER_RUNNER_TOKEN },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      disposers.unshift(async () => {
        if (runner!.exitCode === null) {
          const exited = new Promise((r) => runner!.once('exit', r))
          runner!.kill('SIGTERM')
          await exited
        }
      })
    } else {
      await applyObjects(cluster, [...builtinGlobalRoles, ...builtinRoleTemplates].map((o) => ({ ...o })))
    }
    const transport = kubeConfigTransport(cluster.kubeConfig)
    let admin: BootstrapAdmin
    try {
      const bootstrap = new KubeClient(transport)
      await ensureLocalCluster(bootstrap)
      admin = await ensureBootstrapAdmin(bootstrap, opts.adminPassword ? { password: opts.adminPassword } : {})
    } finally {
      transport.close()
    }
    if (!opts.runner) {
      const r = await cluster.kubectl(['create', 'clusterrolebinding', `test-admin-${admin.userId}`, '--clusterrole=cluster-admin', `--user=${admin.userId}`])
      if (r.code !== 0) throw new Error(r.stderr)
    }
    const stack: MgmtStack = {
      cluster, edge, agent, secrets, admin,
      api: (token) => apiClient(edge, token),
      async login(username, password) {
        const res = await apiClient(edge).post<{ token?: string; message?: string }>('/v3-public/localProviders/local?action=login', { username, password, responseType: 'json' })
        if (res.status !== 201 || !res.body.token) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`)
        return res.body.token
      },
      async ready() {
        const deadline = Date.now() + 30_000
        let last = ''
        while (Date.now() < deadline) {
          const res = await apiClient(edge).post('/v3-public/localProviders/local?action=login', { username: 'nobody-readiness-probe', password: 'x' })
          if (res.status === 401) return
          last = `${res.status} ${JSON.stringify(res.body)}`
          await sleep(250)
        }
        throw new Error(`the management API did not become ready: ${last}`)
      },
      async [Symbol.asyncDispose]() {
        for (const d of disposers) await Promise.resolve(d()).catch(() => {})
      },
    }
    await stack.ready()
    return stack
  } catch (err) {
    for (const d of disposers) await Promise.resolve(d()).catch(() => {})
    throw err
  }
}

/** Polls `fn` every 250 ms until it returns a value; throws naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

/** Logs the admin in once the runner has materialised its global role (the token can list users). */
export function adminToken(stack: MgmtStack, password: string): Promise<string> {
  return eventually('the admin to be materialised', async () => {
    const t = await stack.login('admin', password)
    return (await stack.api(t).get('/v3/users')).status === 200 ? t : undefined
  }, 60_000)
}

/** A local user created by `admin` through /v3 (password `<username>-password-1234`), logged in. */
export async function createUser(stack: MgmtStack, admin: string, username: string): Promise<{ id: string; password: string; token: string }> {
  const password = `${username}-password-1234`
  const created = await stack.api(admin).post<{ id: string }>('/v3/users', { username, password })
  if (created.status !== 201) throw new Error(`creating user ${username}: ${created.status} ${JSON.stringify(created.body)}`)
  return { id: created.body.id, password, token: await stack.login(username, password) }
}
