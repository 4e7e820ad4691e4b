import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from 'miniflare'
import { generateServingPki } from '../dev-cluster/pki.ts'
import { uiAssets } from './ui-assets.ts'

const ROOT = join(import.meta.dirname, '..', '..')

export interface LocalEdgeOptions {
  /** The worker's entry module; default the deployed one, `workers/index.ts`. */
  entry?: string
  /** Plain-text bindings (the edge's secrets; test entries may read more). */
  bindings?: Record<string, string>
  port?: number
  /** Directory for Durable Object storage (kept across restarts); a temporary one when absent. */
  persistDir?: string
  /** A serving certificate to keep across restarts (kubeconfigs trust its CA); a fresh one when absent. */
  tls?: EdgeTls
  /** Opens workerd's V8 inspector (Chrome DevTools protocol) on this loopback port: for profiling (bench/edge-profile.ts). */
  inspectorPort?: number
  /**
   * Also serve the worker on a plain-HTTP loopback socket of its own, without Miniflare's entry worker in
   * front (which production does not have): for benchmarks only (`LocalEdge.directUrl`).
   */
  directSocket?: boolean
  /**
   * Where the worker's audit lines (console.log JSON of kind `drover.audit`, workers/audit/) go: appended
   * to this file instead of the process's stdout, which keeps everything else the worker logs.
   */
  auditLog?: string
  /**
   * Serve the web UI as static assets (default true). Miniflare runs the assets router worker in front of
   * the edge's on every request, where Cloudflare routes assets outside the worker's CPU: benchmarks of
   * the data path turn it off, as they bypass Miniflare's entry worker.
   */
  staticAssets?: boolean
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
  /** The plain-HTTP socket straight to the worker, when `directSocket` was asked for. */
  directUrl?: URL
  dispose(): Promise<void>
}

/** Bundles the worker the way wrangler would (ESM, workerd conditions, `cloudflare:` modules external). */
export async function bundleWorker(entry = join(ROOT, 'workers', 'index.ts'), opts: { sourcemap?: boolean } = {}): Promise<string> {
  const out = await build({
    // Inline, for profiles taken through the inspector (bench/edge-profile.ts maps samples to files).
    ...(opts.sourcemap ? { sourcemap: 'inline' as const } : {}),
    entryPoints: [entry],
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

/** The audit lines workerd prints (one JSON per line) appended to `file`; other lines as Miniflare prints them. */
function splitAuditLines(file: string): { handle: (log: { level: string; message: string }) => void; close: () => Promise<void> } {
  const audit = createWriteStream(file, { flags: 'a', mode: 0o600 })
  const line = (m: string) => (m.endsWith('\n') ? m : `${m}\n`)
  return {
    handle: ({ level, message }) => {
      if (message.startsWith('{"kind":"drover.audit"')) audit.write(line(message))
      else (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line(message))
    },
    close: () => new Promise((r) => audit.end(r)),
  }
}

/**
 * The edge worker and its Durable Objects in workerd (through Miniflare), on HTTPS on loopback: the
 * same bundle production runs, with the bindings wrangler.toml declares.
 *
 * Miniflare rather than `wrangler dev`: both run the same workerd through the same Miniflare (the
 * `miniflare` devDependency is pinned to the exact version wrangler pins, and built the way wrangler
 * builds it, through `convertV4MiniflareOptions`). What `wrangler dev` adds is local-only: a proxy
 * worker in a second workerd in front of this one, a `Request.cf` fetch from the internet, telemetry,
 * its own Node process (measured here: about 340 MiB more memory, ready in 2 s instead of 0.3 s); and
 * it takes the TLS key and the secrets only as files or command-line arguments. wrangler's own
 * bundling and wrangler.toml handling are checked by test/wrangler-deploy.test.ts, and the workerd
 * tests read wrangler.toml through the vitest plugin.
 */
export async function startLocalEdge(opts: LocalEdgeOptions = {}): Promise<LocalEdge> {
  // HTTPS like production: kubectl sends no bearer token over plain HTTP.
  const tls = opts.tls ?? (await generateEdgeTls())
  const audit = opts.auditLog ? splitAuditLines(opts.auditLog) : undefined
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      https: true,
      httpsCert: tls.certPem,
      httpsKey: tls.keyPem,
      modules: true,
      script: await bundleWorker(opts.entry, { sourcemap: opts.inspectorPort !== undefined }),
      compatibilityDate: await compatibilityDate(),
      durableObjects: {
        TUNNEL: { className: 'ClusterTunnel', useSQLite: true },
        TOKENS: { className: 'TokenState', useSQLite: true },
        THROTTLE: { className: 'LoginThrottle', useSQLite: true },
        CACHE: { className: 'ClusterIndex', useSQLite: true },
        REPLAY: { className: 'ReplayGuard', useSQLite: true },
      },
      bindings: opts.bindings ?? {},
      // The web UI as Workers static assets, configured as wrangler.toml's [assets] (infra/edge/ui-assets.ts).
      ...(opts.staticAssets === false ? {} : { assets: uiAssets() }),
      // The placeholder `Request.cf`: Miniflare would otherwise fetch one from the internet at start.
      cf: false,
      ...(process.env.DROVER_EDGE_LOG ? { log: new Log(LogLevel.DEBUG) } : {}),
      ...(audit ? { handleStructuredLogs: audit.handle } : {}),
      host: '127.0.0.1',
      port: opts.port ?? 0,
      ...(opts.directSocket ? { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] } : {}),
      ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort, inspectorHost: '127.0.0.1' } : {}),
      // Durable Object storage lives under <persistDir>/do; without it, in a temporary directory.
      ...(opts.persistDir ? { resourcePersistencePath: opts.persistDir } : {}),
    }),
  )
  const url = await miniflare.ready
  const directUrl = opts.directSocket ? await miniflare.unsafeGetDirectURL() : undefined
  const dispose = async () => {
    await miniflare.dispose()
    await audit?.close()
  }
  return { url, ...(directUrl ? { directUrl } : {}), caPem: tls.caPem, miniflare, dispose, [Symbol.asyncDispose]: dispose }
}
