// The web UI's build (ui/ with Vite into dist/ui/, which the edge serves as Workers static assets) and its
// staleness check, the way infra/build/programs.ts does it for the Node programs.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { InlineConfig, ProxyOptions } from 'vite'

const ROOT = join(import.meta.dirname, '..', '..')
export const UI_SOURCE = join(ROOT, 'ui')
/** Where the built UI lives; wrangler.toml's `[assets] directory` and the local edge point here. */
export const UI_DIR = join(ROOT, 'dist', 'ui')
/** The budget for the JavaScript a first visit loads, gzipped. */
export const INITIAL_JS_BUDGET = 300 * 1024

/** Path prefixes the edge's worker answers (workers/app.ts); the dev server proxies these to a running edge. */
export const API_PREFIXES = ['/v3', '/v3-public', '/v1', '/v1-saml', '/k8s', '/cacerts', '/ping', '/healthz', '/metrics']

/** Vite's configuration for ui/: production build, or the dev server proxying the API to `edgeUrl`. */
export function uiViteConfig(opts: { outDir?: string; edgeUrl?: string } = {}): InlineConfig {
  const proxy: Record<string, ProxyOptions> = {}
  // The edge's loopback certificate is its own CA's (`secure: false`); the browser sees the dev server's
  // origin, and `Sec-Fetch-Site: same-origin` is what the edge's origin check trusts first.
  if (opts.edgeUrl) for (const p of API_PREFIXES) proxy[p] = { target: opts.edgeUrl, secure: false, changeOrigin: true, ws: true }
  return {
    root: UI_SOURCE,
    configFile: false,
    logLevel: 'warn',
    publicDir: join(UI_SOURCE, 'public'),
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: opts.outDir ?? UI_DIR,
      emptyOutDir: true,
      // No inline scripts or styles (the CSP allows 'self' only), not even for tiny assets.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      target: 'es2022',
      sourcemap: true,
      reportCompressedSize: false,
    },
    server: { proxy },
  }
}

export interface BundleSize {
  /** The scripts index.html loads at once (entry and preloaded chunks), by asset path. */
  initialJs: { file: string; bytes: number; gzip: number }[]
  initialJsGzip: number
  cssGzip: number
}

/** What a first visit downloads, from the built index.html: its module scripts, preloads and stylesheets. */
export async function bundleSize(outDir: string = UI_DIR): Promise<BundleSize> {
  const html = await readFile(join(outDir, 'index.html'), 'utf8')
  const refs = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!)
  const js = [...new Set([...refs(/<script[^>]+src="([^"]+)"/g), ...refs(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)])]
  const css = refs(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)
  const size = async (file: string) => {
    const body = await readFile(join(outDir, file.replace(/^\//, '')))
    return { file, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length }
  }
  const initialJs = await Promise.all(js.map(size))
  const styles = await Promise.all(css.map(size))
  return { initialJs, initialJsGzip: initialJs.reduce((a, f) => a + f.gzip, 0), cssGzip: styles.reduce((a, f) => a + f.gzip, 0) }
}

export function describeSize(s: BundleSize): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
  return `initial JavaScript ${kb(s.initialJsGzip)} gzipped in ${s.initialJs.length} file(s) (budget ${kb(INITIAL_JS_BUDGET)}), CSS ${kb(s.cssGzip)} gzipped`
}

/** Builds ui/ into `outDir` aside and swaps it in whole, so a running edge never serves half a build. */
export async function buildUi(opts: { outDir?: string; log?: (line: string) => void } = {}): Promise<BundleSize> {
  const outDir = opts.outDir ?? UI_DIR
  const started = performance.now()
  const building = `${outDir}.building-${process.pid}`
  const previous = `${outDir}.previous-${process.pid}`
  const { build } = await import('vite')
  // Vite builds for whatever NODE_ENV says (vitest sets `test`, which keeps libraries' development code).
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build(uiViteConfig({ outDir: building }))
    await mkdir(join(outDir, '..'), { recursive: true })
    if (existsSync(outDir)) await rename(outDir, previous)
    await rename(building, outDir)
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
    await rm(building, { recursive: true, force: true })
    await rm(previous, { recursive: true, force: true })
  }
  const size = await bundleSize(outDir)
  opts.log?.(`built the web UI into ${relative(ROOT, outDir)} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${describeSize(size)}`)
  return size
}

function newestSource(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: dir, mtimeMs: 0 }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name)
    const candidate = entry.isDirectory() ? newestSource(file) : { file, mtimeMs: statSync(file).mtimeMs }
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate
  }
  return newest
}

/** Why dist/ui must be built again, or undefined when it is current. */
export function uiStaleness(outDir: string = UI_DIR): string | undefined {
  const index = join(outDir, 'index.html')
  if (!existsSync(index)) return `${relative(ROOT, index)} is missing`
  const builtAt = statSync(index).mtimeMs
  const inputs = [newestSource(join(UI_SOURCE, 'src')), newestSource(join(UI_SOURCE, 'public'))]
  for (const file of [join(UI_SOURCE, 'index.html'), join(ROOT, 'package-lock.json'), import.meta.filename]) inputs.push({ file, mtimeMs: statSync(file).mtimeMs })
  const changed = inputs.find((i) => i.mtimeMs > builtAt)
  return changed ? `${relative(ROOT, changed.file)} changed` : undefined
}

/** Builds the UI when `uiStaleness` says so; says why on `log`. */
export async function ensureUi(opts: { log?: (line: string) => void } = {}): Promise<void> {
  const why = uiStaleness()
  if (why === undefined) return
  opts.log?.(`building the web UI (${why})…`)
  await buildUi(opts)
}
