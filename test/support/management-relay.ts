// Cluster `local` for fast edge tests, without a tunnel object, an agent process or a runner: a real
// management kube-apiserver (a lite dev cluster with drover's CRDs, RBAC, built-in roles and bootstrap
// admin) behind a loopback HTTP server that answers the edge's tunnel envelopes the way the tunnel and
// the agent do — the envelope is opened with the tunnel object's own decoder and served by the agent's
// own stream handler (header allowlist, impersonation of the envelope's identity). Only the tunnel's
// framing is left out; the apiserver's answers, RBAC decisions included, are real.
//
// The cluster starts on the first request (a few seconds), so workerd runs that never use it pay nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { isEnvelopeHeader, openEnvelope } from '../../objects/tunnel/envelope.ts'
import { errorBody } from '../../protocol/api/error.ts'
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import type { Identity, StreamHandler } from '../../protocol/tunnel/index.ts'

const CLUSTER_NAME = 'workerd-mgmt'

export interface ManagementRelay extends AsyncDisposable {
  /** Loopback port of the relay (plain HTTP). */
  port: number
  close(): Promise<void>
}

interface Management {
  handler: StreamHandler
  /** Compacts etcd's history up to now, as kube-apiserver does every few minutes (old revisions then get 410 Gone). */
  compact(): Promise<number>
  stop(): Promise<void>
}

/** Starts the relay; the management cluster it fronts starts with the first request. */
export async function startManagementRelay(opts: { adminPassword: string }): Promise<ManagementRelay> {
  let management: Promise<Management> | undefined
  const server = createServer((req, res) => {
    management ??= startManagement(opts.adminPassword)
    serve(management, req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, 500, 'RelayFailed', `management relay: ${err instanceof Error ? err.message : String(err)}`)
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    if (management) await (await management.catch(() => undefined))?.stop()
  }
  return { port: (server.address() as AddressInfo).port, close, [Symbol.asyncDispose]: close }
}

function answer(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(status, code, message)))
}

/** The relay's one request besides envelopes: `POST /etcd/compact` (tests of re-listing on 410 Gone). */
const COMPACT_PATH = '/etcd/compact'

/** What the tunnel object and the agent do with an envelope, minus the framing between them. */
async function serve(management: Promise<Management>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === COMPACT_PATH && req.method === 'POST') {
    const revision = await (await management).compact()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revision }))
    return
  }
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const envelope = openEnvelope(new Request(`http://relay${req.url ?? '/'}`, { method: req.method ?? 'GET', headers }))
  if (envelope.action !== 'proxy') return answer(res, 400, 'InvalidAction', 'the relay serves proxied API requests only')
  // Like a tunnel object of a cluster without an agent.
  if (envelope.cluster !== LOCAL_CLUSTER) return answer(res, 503, 'ClusterUnavailable', `cluster ${envelope.cluster ?? ''} is not connected: no agent session`)
  let identity: Identity
  try {
    identity = envelope.identity()
  } catch {
    return answer(res, 400, 'InvalidIdentity', 'the proxied request carries no valid identity')
  }
  const pairs: [string, string][] = []
  headers.forEach((value, name) => {
    if (!isEnvelopeHeader(name)) pairs.push([name, value])
  })
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  const body = hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null
  const aborted = new AbortController()
  res.on('close', () => aborted.abort())
  const { handler } = await management
  const out = await handler.http({ method: req.method ?? 'GET', path: envelope.path, headers: pairs, identity }, body, aborted.signal)
  res.writeHead(out.head.status, out.head.headers.flat())
  // An answer that arrived whole is bytes; anything else a stream.
  if (out.body instanceof Uint8Array) res.end(out.body)
  else if (out.body) {
    // A client that goes away (a watch it stopped) aborts the stream: that ends the answer, not the relay.
    const stream = Readable.fromWeb(out.body as NodeReadableStream<Uint8Array>)
    stream.on('error', () => res.destroy())
    stream.pipe(res)
  } else res.end()
}

/**
 * A lite dev cluster set up as a management cluster without the runner (as test/support/mgmt-stack.ts
 * does): drover's RBAC and built-in roles, the bootstrap admin `admin` with `adminPassword`, bound to
 * cluster-admin directly since no runner materialises its global role.
 */
async function startManagement(adminPassword: string): Promise<Management> {
  // Loaded here, not at the top: the workerd project's global setup imports this file on every run.
  const [{ KubeConfig }, { createUpstreamHandler }, { ensureBootstrapAdmin }, { down, up }, mgmt, { kubeConfigTransport, UpstreamCredentials }, { KubeClient }, { execCommand, kubectlBin }, { silentLogger }] =
    await Promise.all([
      import('@kubernetes/client-node'),
      import('../../agent/upstream.ts'),
      import('../../controller-runner/bootstrap/admin.ts'),
      import('../../infra/dev-cluster/cluster.ts'),
      import('../../infra/management/index.ts'),
      import('../../node/kube/index.ts'),
      import('../../protocol/kube/index.ts'),
      import('./dev-cluster.ts'),
      import('./logger.ts'),
    ])
  const stateDir = mkdtempSync(join(tmpdir(), 'drover-workerd-'))
  const env = { ...process.env, DROVER_STATE_DIR: stateDir }
  const stop = async () => {
    await down(CLUSTER_NAME, env).catch(() => undefined)
    rmSync(stateDir, { recursive: true, force: true })
  }
  try {
    const record = await up(CLUSTER_NAME, { mode: 'lite', env })
    const kubectl = await kubectlBin()
    const run = async (args: string[], input?: string) => {
      const r = await execCommand(kubectl, ['--kubeconfig', record.kubeconfig, ...args], input === undefined ? {} : { input })
      if (r.code !== 0) throw new Error(`kubectl ${args[0]}: ${r.stderr}`)
    }
    const objects = [...mgmt.managementRbac(), ...mgmt.downstreamRbac(), ...mgmt.builtinGlobalRoles, ...mgmt.builtinRoleTemplates]
    await run(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }))
    const kc = new KubeConfig()
    kc.loadFromFile(record.kubeconfig)
    const transport = kubeConfigTransport(kc)
    try {
      const admin = await ensureBootstrapAdmin(new KubeClient(transport), { password: adminPassword })
      await run(['create', 'clusterrolebinding', 'test-admin', '--clusterrole=cluster-admin', `--user=${admin.userId}`])
    } finally {
      transport.close()
    }
    const credentials = new UpstreamCredentials(kc)
    return {
      handler: createUpstreamHandler({ credentials, logger: silentLogger }),
      compact: () => compactEtcd(record.ports.etcdClient as number),
      stop: async () => {
        credentials.close()
        await stop()
      },
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Compaction through etcd's JSON gateway: the current revision, then a compaction to it. */
async function compactEtcd(port: number): Promise<number> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as { header?: { revision?: string } }
  }
  const revision = (await call('/v3/kv/range', { key: 'AA==' })).header?.revision
  if (!revision) throw new Error('etcd did not say its revision')
  await call('/v3/kv/compaction', { revision, physical: true })
  return Number(revision)
}
