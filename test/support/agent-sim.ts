/**
 * SCALE-ONLY STAND-IN. Many simulated agents in one Node process, for benchmarks and the short scale test
 * (bench/scale.ts, test/scale-short.test.ts). It exists to put thousands of tunnels on an edge; it proves
 * nothing about serving a real cluster — the real agent (`drover agent`, agent/) stays the one under test for
 * correctness.
 *
 * What is real: each simulated cluster runs the agent's own Connector (agent/connection.ts) — a
 * `drover.tunnel.v1` WebSocket to `/v3/connect` with its own `X-API-Tunnel-Token` (`<clusterId>:<token>`,
 * checked by the edge against the cluster's registration Secret), a TunnelSession from protocol/tunnel,
 * the agent's jittered reconnect backoff and its facts report. What is not: the kube-apiserver behind it,
 * replaced by a few canned in-memory answers (`/version`, `/api/v1/namespaces`, `/healthz`).
 *
 * Lives in test/support/ rather than bench/ because the short scale test inside `npm test` uses it too, and
 * test/support is where the other stand-ins (agent-edge.ts's FakeEdge) live; bench/ imports from here.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import pino, { type Logger } from 'pino'
import { Connector } from '../../agent/connection.ts'
import { AGENT_VERSION, connectUrl, RECONNECT_BACKOFF } from '../../agent/dialer.ts'
import { EdgeTrust } from '../../agent/edge-trust.ts'
import { Backoff } from '../../node/backoff.ts'
import { systemClock, type ClusterFacts, type RequestHead, type ResponseHead, type StreamHandler } from '../../protocol/tunnel/index.ts'

export interface SimCluster {
  id: string
  /** The registration token value (the Secret's `token`); the agent sends `<id>:<token>`. */
  token: string
}

/** The Kubernetes version the stand-in reports, so a Cluster becomes Ready (the runner waits for facts). */
export const SIM_KUBERNETES_VERSION = 'v1.33.0-sim'

const encoder = new TextEncoder()
const json = (status: number, body: unknown): { head: ResponseHead; body: Uint8Array } => ({
  head: { status, headers: [['content-type', 'application/json']] },
  body: encoder.encode(JSON.stringify(body)),
})

/** The in-memory apiserver stand-in: a few read-only paths, anything else a Kubernetes-shaped 404 or 405. */
export function standInHandler(clusterId: string): StreamHandler {
  return {
    async http(head: RequestHead, body) {
      await body?.cancel()
      const path = head.path.split('?')[0]
      if (head.method !== 'GET') return json(405, status(405, 'MethodNotAllowed', `the scale stand-in of ${clusterId} serves GET only`))
      if (path === '/version') return json(200, { major: '1', minor: '33', gitVersion: SIM_KUBERNETES_VERSION, platform: 'linux/amd64', simulatedCluster: clusterId })
      if (path === '/healthz' || path === '/readyz') return { head: { status: 200, headers: [['content-type', 'text/plain']] }, body: encoder.encode('ok') }
      if (path === '/api/v1/namespaces') {
        const items = ['default', 'kube-system', 'kube-public'].map((name) => ({ metadata: { name }, status: { phase: 'Active' } }))
        return json(200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items })
      }
      return json(404, status(404, 'NotFound', `the scale stand-in of ${clusterId} does not serve ${path}`))
    },
    async websocket() {
      return json(400, status(400, 'BadRequest', 'the scale stand-in accepts no upgrades'))
    },
  }
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }
}

/**
 * Trusts the given CA, handed over in-process: one process cannot give thousands of agents the edge's CA
 * through NODE_EXTRA_CA_CERTS after it started, and the local edge serves no `/cacerts` to pin from.
 */
class GivenCaTrust extends EdgeTrust {
  /** One TLS context for every connection: `ca` per connection would build one each (about 1 MiB apiece here). */
  private readonly context: SecureContext

  constructor(cacertsUrl: URL, caPem: string) {
    super({ mode: 'system-store' }, cacertsUrl)
    this.context = createSecureContext({ ca: caPem })
  }

  override tlsOptions(): Promise<{ ca?: string[] }> {
    // The connector spreads these into ws's options, which hands them to tls.connect.
    return Promise.resolve({ secureContext: this.context } as { ca?: string[] })
  }
}

export interface AgentSimOptions {
  /** The edge's base URL (https). */
  server: string
  /** The edge CA's PEM, trusted by every connector (as `drover agent` trusts it through NODE_EXTRA_CA_CERTS). */
  caPem: string
  /** Where the connectors log (default: silent, or DROVER_SIM_LOG's level to stderr). */
  logger?: Logger
  /** How often each simulated agent re-reports facts; default 10 min (they go once on every connect anyway). */
  factsIntervalMs?: number
}

/**
 * Runs simulated agents. `add` starts one per cluster (at most `concurrency` dials in flight at once, so a
 * bulk start measures the edge rather than a thundering herd of the simulator's own making); `stop` closes
 * them all the way a stopping agent does (AGENT_SHUTDOWN).
 */
export class AgentSim implements AsyncDisposable {
  private readonly connectors = new Map<string, Connector>()
  private readonly url: ReturnType<typeof connectUrl>
  private readonly trust: EdgeTrust
  private readonly logger: Logger

  constructor(private readonly o: AgentSimOptions) {
    this.url = connectUrl(o.server)
    // DROVER_SIM_LOG=warn (or info) shows what the simulated agents' connectors log.
    this.logger = o.logger ?? pino({ level: process.env.DROVER_SIM_LOG ?? 'silent' })
    this.trust = new GivenCaTrust(this.url.cacertsUrl, o.caPem)
  }

  get size(): number {
    return this.connectors.size
  }

  /** Simulated agents whose tunnel session is open now. */
  connectedCount(): number {
    let n = 0
    for (const c of this.connectors.values()) if (c.connected) n++
    return n
  }

  isConnected(id: string): boolean {
    return this.connectors.get(id)?.connected ?? false
  }

  /** Starts an agent per cluster and resolves once `concurrency` are in flight at most and every one has dialed. */
  async add(clusters: SimCluster[], opts: { concurrency?: number; onProgress?: (connected: number) => void; timeoutMs?: number } = {}): Promise<void> {
    const concurrency = opts.concurrency ?? 200
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000)
    const facts: ClusterFacts = { kubernetesVersion: SIM_KUBERNETES_VERSION, nodeCount: 1, capacity: { cpu: '4', memory: '8Gi', pods: '110' } }
    const pending = new Set<string>()
    let next = 0
    let lastReport = 0
    while (next < clusters.length || pending.size > 0) {
      if (Date.now() > deadline) throw new Error(`simulated agents: only ${this.connectedCount()} of ${this.connectors.size} connected before the deadline`)
      for (const id of pending) if (this.isConnected(id)) pending.delete(id)
      while (next < clusters.length && pending.size < concurrency) {
        const c = clusters[next++]!
        if (this.connectors.has(c.id)) throw new Error(`cluster ${c.id} already has a simulated agent`)
        const connector = new Connector({
          url: this.url.url,
          proxyLookupUrl: this.url.proxyLookupUrl,
          token: `${c.id}:${c.token}`,
          handler: standInHandler(c.id),
          logger: this.logger,
          clock: systemClock,
          backoff: new Backoff(systemClock, RECONNECT_BACKOFF),
          agentVersion: `${AGENT_VERSION}-sim`,
          replicaId: `sim-${c.id}`,
          collectFacts: async () => facts,
          factsIntervalMs: this.o.factsIntervalMs ?? 600_000,
          trust: this.trust,
        })
        this.connectors.set(c.id, connector)
        connector.start()
        pending.add(c.id)
      }
      if (opts.onProgress && Date.now() - lastReport > 2_000) {
        lastReport = Date.now()
        opts.onProgress(this.connectors.size - pending.size)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Waits until every simulated agent has an open session (they reconnect by themselves). */
  async waitAllConnected(timeoutMs: number, onProgress?: (connected: number) => void): Promise<number> {
    const deadline = Date.now() + timeoutMs
    let lastReport = 0
    for (;;) {
      const n = this.connectedCount()
      if (n === this.connectors.size) return n
      if (Date.now() > deadline) return n
      if (onProgress && Date.now() - lastReport > 2_000) {
        lastReport = Date.now()
        onProgress(n)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async stop(): Promise<void> {
    const all = [...this.connectors.values()]
    this.connectors.clear()
    await Promise.all(all.map((c) => c.stop()))
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }
}
