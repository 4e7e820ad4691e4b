import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'
import { findGo } from './go-toolchain.ts'
import { formatDuration, run, type Log } from './progress.ts'

export interface BuildOptions {
  env?: NodeJS.ProcessEnv
  log?: Log
}

/** Runs `go <args>` in `cwd` with the build environment, printing progress under `label`. */
export type Go = (label: string, args: string[], cwd: string, extra?: NodeJS.ProcessEnv) => Promise<string>

export interface CachedBuild {
  /** The final directory; complete once it holds the stamp file. */
  dir: string
  goMinimum: string
  /** What is built, for the progress lines ("Kubernetes v1.37.2, etcd v3.7.3 and kwok v0.8.0"). */
  what: string
  /** Expected duration of a cold build on 2 cores, printed before it starts. */
  expected: string
  /** Recorded in the stamp file next to the Go version and the duration. */
  stamp: unknown
  /** Builds into `tmp` (which has a `bin/` directory); `tmp/work` is removed afterwards. */
  build(tmp: string, go: Go): Promise<void>
}

const STAMP = 'build.json'

export function isComplete(dir: string): boolean {
  return existsSync(join(dir, STAMP))
}

/**
 * Builds into the cache once. Idempotent and safe to call from several processes at once: the first
 * builds (under a lock, into a temporary directory renamed into place), the others wait and reuse it.
 * Returns whether this call did the build.
 */
export async function ensureBuilt(spec: CachedBuild, opts: BuildOptions, log: Log): Promise<boolean> {
  const env = opts.env ?? process.env
  const { dir } = spec
  if (isComplete(dir)) return false

  const toolchain = await findGo(spec.goMinimum, env)
  await mkdir(join(dir, '..'), { recursive: true })
  log(`building ${spec.what} with Go ${toolchain.version} into ${dir}`)
  log(`a cold build takes ${spec.expected} on 2 cores; it is cached and done once per pinned version`)
  const release = await lockfile.lock(dir, {
    realpath: false,
    stale: 60_000,
    update: 15_000,
    retries: { retries: 2_000, minTimeout: 1_000, maxTimeout: 3_000 },
    onCompromised: (e) => log(`build lock lost: ${e.message}`),
  })
  try {
    if (isComplete(dir)) return false
    const started = Date.now()
    const tmp = `${dir}.tmp-${process.pid}`
    await rm(tmp, { recursive: true, force: true })
    await mkdir(join(tmp, 'bin'), { recursive: true })
    const goEnv: NodeJS.ProcessEnv = {
      ...env,
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      GOFLAGS: '-mod=mod -buildvcs=false',
    }
    const go: Go = (label, args, cwd, extra = {}) => run(toolchain.go, args, { cwd, env: { ...goEnv, ...extra }, label, log })

    await spec.build(tmp, go)
    await rm(join(tmp, 'work'), { recursive: true, force: true })
    const seconds = Math.round((Date.now() - started) / 1000)
    await writeFile(join(tmp, STAMP), JSON.stringify({ versions: spec.stamp, go: toolchain.version, seconds }, null, 2))
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
    log(`${spec.what} built in ${formatDuration(Date.now() - started)}`)
    return true
  } finally {
    await release()
  }
}
