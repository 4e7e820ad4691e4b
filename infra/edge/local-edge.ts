import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { generateServingPki } from '../dev-cluster/pki.ts'

const ROOT = join(import.meta.dirname, '..', '..')

export interface LocalEdgeOptions {
  /** Plain-text bindings (e.g. DROVER_STATIC_TOKENS). */
  bindings?: Record<string, string>
  port?: number
  /** Directory for Durable Object storage; in memory when absent. */
  persistDir?: string
  /** A serving certificate to keep across restarts (kubeconfigs trust its CA); a fresh one when absent. */
  tls?: EdgeTls
}

export interface EdgeTls {
  caPem: string
  certPem: string
  keyPem: string
}

export function generateEdgeTls(): Promise<EdgeTls> {
  return generateServingPki('edge')
}

export interface LocalEdge extends AsyncDisposable {
  url: URL
  /** PEM of the CA that signed the edge's loopback certificate: clients (kubectl, agents) trust it. */
  caPem: string
  miniflare: Miniflare
  dispose(): Promise<void>
}

/** Bundles the worker the way wrangler would (ESM, workerd conditions, `cloudflare:` modules external). */
export async function bundleWorker(): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, 'workers', 'index.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

async function compatibilityDate(): Promise<string> {
  const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
  const m = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)
  if (!m) throw new Error('wrangler.toml has no compatibility_date')
  return m[1]!
}

/**
 * The edge worker and its Durable Objects in workerd (through Miniflare), on HTTPS on loopback: the
 * same bundle production runs, with the bindings wrangler.toml declares.
 */
export async function startLocalEdge(opts: LocalEdgeOptions = {}): Promise<LocalEdge> {
  // HTTPS like production: kubectl sends no bearer token over plain HTTP.
  const tls = opts.tls ?? (await generateEdgeTls())
  const miniflare = new Miniflare({
    https: true,
    httpsCert: tls.certPem,
    httpsKey: tls.keyPem,
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: await compatibilityDate(),
    durableObjects: {
      TUNNEL: { className: 'ClusterTunnel', useSQLite: true },
      TOKENS: { className: 'TokenState', useSQLite: true },
      THROTTLE: { className: 'LoginThrottle', useSQLite: true },
    },
    bindings: opts.bindings ?? {},
    ...(process.env.DROVER_EDGE_LOG ? { log: new Log(LogLevel.DEBUG) } : {}),
    host: '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.persistDir ? { durableObjectsPersist: opts.persistDir } : {}),
  })
  const url = await miniflare.ready
  const dispose = () => miniflare.dispose()
  return { url, caPem: tls.caPem, miniflare, dispose, [Symbol.asyncDispose]: dispose }
}
