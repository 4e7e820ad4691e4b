import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { build, type Metafile } from 'esbuild'

const ROOT = join(import.meta.dirname, '..', '..')

/** Where `drover start` and the image find the bundled programs. */
export const PROGRAMS_DIR = join(ROOT, 'dist')
/** The bundled `drover` with the in-cluster programs: `node dist/drover.mjs agent|runner|ext-apiserver …`. */
export const PROGRAMS_ENTRY = 'drover.mjs'
const META = 'meta.json'

// Sources are TypeScript with `.ts` imports and CommonJS dependencies (client-node, pino, ws): ESM output
// gets a `require` for the CommonJS code's own require() calls (Node builtins, optional ws add-ons).
const REQUIRE_SHIM = "import { createRequire as __droverCreateRequire } from 'node:module'; const require = __droverCreateRequire(import.meta.url);"

export interface BuildOptions {
  /** Another output directory (tests); default dist/. */
  outdir?: string
  log?: (line: string) => void
}

export interface BuiltPrograms {
  entry: string
  /** Every output file's size, in bytes, by path relative to the output directory. */
  outputs: Record<string, number>
  metafile: Metafile
}

/**
 * Bundles the agent, the runner and the extension API server (cli/programs.ts) with esbuild into one ES module with lazy chunks:
 * platform node, target node22, every dependency inside, so the image needs no node_modules and no
 * TypeScript loader at run time. Code splitting keeps each program to its own code: the agent loads
 * the shared chunk and its own, never the runner's. The metafile is kept beside it for `staleness`.
 */
export async function buildPrograms(opts: BuildOptions = {}): Promise<BuiltPrograms> {
  const outdir = opts.outdir ?? PROGRAMS_DIR
  const started = performance.now()
  // Built aside and swapped in whole: a program starting meanwhile (drover start, a test) never loads a
  // half-written bundle, and chunks of an older build (their names carry content hashes) do not pile up.
  const building = `${outdir}.building-${process.pid}`
  const previous = `${outdir}.previous-${process.pid}`
  await rm(building, { recursive: true, force: true })
  await mkdir(building, { recursive: true })
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { drover: 'cli/programs.ts' },
      outdir: building,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      banner: { js: REQUIRE_SHIM },
      // Smaller source text is less memory in every process (about 10 MiB of the agent's RSS here).
      // Identifiers are not minified, so names stay as written in logs, errors and stacks (esbuild adds a
      // numeric suffix only where two modules' top-level names collide), and `node --enable-source-maps`
      // maps positions back to the TypeScript. Not `keepNames`: it wraps every function and class
      // expression in a `__name()` call that defines a property each time the closure is created — per
      // frame and per request on the agent's data path (seen in its CPU profile).
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
    })
    for (const w of result.warnings) opts.log?.(`esbuild: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`)
    await writeFile(join(building, META), JSON.stringify(result.metafile))
    if (existsSync(outdir)) await rename(outdir, previous)
    // The web UI is built into dist/ui by its own build (infra/build/ui.ts): it stays.
    if (existsSync(join(previous, 'ui'))) await rename(join(previous, 'ui'), join(building, 'ui'))
    await rename(building, outdir)
    const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, o]) => [relative(building, join(ROOT, file)), o.bytes]))
    const code = Object.entries(outputs).filter(([file]) => file.endsWith('.mjs'))
    const total = code.reduce((a, [, bytes]) => a + bytes, 0)
    opts.log?.(`bundled the agent, the runner and the ext-apiserver into ${relative(ROOT, outdir) || outdir} (${(total / 2 ** 20).toFixed(1)} MiB in ${code.length} modules, and their source maps) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return { entry: join(outdir, PROGRAMS_ENTRY), outputs, metafile: result.metafile }
  } finally {
    await rm(building, { recursive: true, force: true })
    await rm(previous, { recursive: true, force: true })
  }
}

/**
 * Why the bundle in `outdir` must be built again, or undefined when it is current: it is missing, or a
 * source it was built from (by its metafile), the lock file or this build changed since.
 */
export async function staleness(outdir: string = PROGRAMS_DIR): Promise<string | undefined> {
  const entry = join(outdir, PROGRAMS_ENTRY)
  if (!existsSync(entry) || !existsSync(join(outdir, META))) return `${relative(ROOT, entry)} is missing`
  const builtAt = statSync(entry).mtimeMs
  let inputs: string[]
  try {
    inputs = Object.keys((JSON.parse(await readFile(join(outdir, META), 'utf8')) as Metafile).inputs)
  } catch {
    return `${relative(ROOT, join(outdir, META))} is unreadable`
  }
  for (const input of [...inputs, 'package-lock.json', relative(ROOT, import.meta.filename)]) {
    const file = isAbsolute(input) ? input : join(ROOT, input)
    if (!existsSync(file)) return `${input} is gone`
    if (statSync(file).mtimeMs > builtAt) return `${input} changed`
  }
  return undefined
}

/** Builds the programs when `staleness` says so; says why on `log`. */
export async function ensurePrograms(opts: BuildOptions = {}): Promise<string> {
  const outdir = opts.outdir ?? PROGRAMS_DIR
  const why = await staleness(outdir)
  if (why === undefined) return join(outdir, PROGRAMS_ENTRY)
  opts.log?.(`bundling the agent, the runner and the ext-apiserver (${why})…`)
  return (await buildPrograms(opts)).entry
}
