import { spawn, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../../infra/dev-cluster/ports.ts'
import { ensureToxiproxy } from '../../infra/kubernetes/toxiproxy.ts'

/** Which way a toxic acts: `upstream` is client → server (agent → edge), `downstream` the replies. */
export type Stream = 'upstream' | 'downstream'

/** The toxics the fault tests use, with the attributes toxiproxy's HTTP API takes (times in ms, rates in KB/s). */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'slow_close'; attributes: { delay: number } }
  | { type: 'limit_data'; attributes: { bytes: number } }

export interface Toxic {
  name: string
  stream: Stream
}

/** One proxy: clients dial `listen`, toxiproxy dials `upstream`. */
export class ToxiProxy {
  constructor(
    private readonly api: ToxiproxyServer,
    readonly name: string,
    /** host:port clients connect to. */
    readonly listen: string,
  ) {}

  /** Adds a toxic on one direction (`toxicity` 1: every connection); returns it for remove(). */
  async add(spec: ToxicSpec, stream: Stream = 'downstream', name = `${spec.type}_${stream}`): Promise<Toxic> {
    await this.api.call('POST', `/proxies/${this.name}/toxics`, { name, stream, toxicity: 1, ...spec })
    return { name, stream }
  }

  /** The same toxic on both directions. */
  async addBoth(spec: ToxicSpec): Promise<Toxic[]> {
    return [await this.add(spec, 'upstream'), await this.add(spec, 'downstream')]
  }

  async remove(...toxics: Toxic[]): Promise<void> {
    for (const t of toxics) await this.api.call('DELETE', `/proxies/${this.name}/toxics/${t.name}`)
  }

  /** Disabled: open connections are closed and new ones refused, as a link that is down. */
  async setEnabled(enabled: boolean): Promise<void> {
    await this.api.call('POST', `/proxies/${this.name}`, { enabled })
  }
}

/**
 * A real toxiproxy-server (built from its Go module, infra/kubernetes/toxiproxy.ts) on a free loopback
 * port, driven through its HTTP API. `await using` stops it.
 */
export class ToxiproxyServer implements AsyncDisposable {
  private constructor(
    private readonly child: ChildProcess,
    readonly apiUrl: string,
    private readonly out: () => string,
  ) {}

  static async start(): Promise<ToxiproxyServer> {
    const { server } = await ensureToxiproxy({ log: (l) => process.stderr.write(`[toxiproxy] ${l}\n`) })
    const port = await freePort()
    const child = spawn(server, ['-host', '127.0.0.1', '-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-16_384)))
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-16_384)))
    const t = new ToxiproxyServer(child, `http://127.0.0.1:${port}`, () => out)
    const deadline = Date.now() + 20_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`toxiproxy-server exited (${child.exitCode}): ${out}`)
      try {
        if ((await fetch(`${t.apiUrl}/version`)).ok) return t
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await t[Symbol.asyncDispose]()
        throw new Error(`toxiproxy-server did not answer on ${t.apiUrl}: ${out}`)
      }
      await sleep(100)
    }
  }

  output(): string {
    return this.out()
  }

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.apiUrl + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${text}`)
    return text ? (JSON.parse(text) as unknown) : undefined
  }

  /** A proxy from a free loopback port to `upstream` (host:port). */
  async proxy(name: string, upstream: string): Promise<ToxiProxy> {
    const listen = `127.0.0.1:${await freePort()}`
    await this.call('POST', '/proxies', { name, listen, upstream, enabled: true })
    return new ToxiProxy(this, name, listen)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    await exited
  }
}
