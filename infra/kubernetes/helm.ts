import { join } from 'node:path'
import { ensureBuilt, type BuildOptions } from './cached-build.ts'
import { helmCacheDir, helmModule, versions } from './versions.ts'

export interface HelmBinary {
  dir: string
  helm: string
  version: string
}

/**
 * Makes sure the pinned helm is built into the cache, with the same lock and progress as the Kubernetes
 * build. helm's module has no replace directives, so `go install mod/cmd/helm@version` builds it
 * directly. Its version variable lives in an internal package upstream's Makefile sets with -X; without
 * it `helm version` reports only "v4.3".
 */
export async function ensureHelm(opts: BuildOptions = {}): Promise<HelmBinary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[helm] ${l}\n`))
  const dir = helmCacheDir(opts.env ?? process.env)
  const v = versions.helm
  const mod = helmModule(v)
  await ensureBuilt(
    {
      dir,
      goMinimum: versions.goMinimum,
      what: `helm ${v}`,
      expected: 'about 5 minutes',
      stamp: { helm: v },
      build: async (tmp, go) => {
        const ldflags = ['-s', '-w', `-X ${mod}/internal/version.version=${v}`, `-X ${mod}/internal/version.gitTreeState=clean`]
        await go(`compiling helm ${v}`, ['install', '-trimpath', '-ldflags', ldflags.join(' '), `${mod}/cmd/helm@${v}`], tmp, {
          GOBIN: join(tmp, 'bin'),
          // `go install pkg@version` ignores the surrounding module; -mod=mod is not allowed with it.
          GOFLAGS: '-buildvcs=false',
        })
      },
    },
    opts,
    log,
  )
  return { dir, helm: join(dir, 'bin', 'helm'), version: v }
}
