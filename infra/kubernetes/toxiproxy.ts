import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureBuilt, type BuildOptions } from './cached-build.ts'
import { toxiproxyCacheDir, versions } from './versions.ts'

export interface ToxiproxyBinary {
  dir: string
  /** The `toxiproxy-server` command (upstream's cmd/server, named as its Makefile names it). */
  server: string
  version: string
}

const MODULE = 'github.com/Shopify/toxiproxy/v2'

/**
 * Makes sure the pinned toxiproxy-server is built into the cache, with the same lock and progress as the
 * Kubernetes build. The module has no replace directives, so `go install mod/cmd/server@version` builds it;
 * the version variable is the one upstream's release sets with -X (without it the server says "git").
 */
export async function ensureToxiproxy(opts: BuildOptions = {}): Promise<ToxiproxyBinary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[toxiproxy] ${l}\n`))
  const dir = toxiproxyCacheDir(opts.env ?? process.env)
  const v = versions.toxiproxy
  await ensureBuilt(
    {
      dir,
      goMinimum: versions.goMinimum,
      what: `toxiproxy ${v}`,
      expected: 'about a minute',
      stamp: { toxiproxy: v },
      build: async (tmp, go) => {
        const bin = join(tmp, 'bin')
        await go(`compiling toxiproxy-server ${v}`, ['install', '-trimpath', '-ldflags', `-s -w -X ${MODULE}.Version=${v}`, `${MODULE}/cmd/server@${v}`], tmp, {
          GOBIN: bin,
          // `go install pkg@version` ignores the surrounding module; -mod=mod is not allowed with it.
          GOFLAGS: '-buildvcs=false',
        })
        await rename(join(bin, 'server'), join(bin, 'toxiproxy-server'))
      },
    },
    opts,
    log,
  )
  return { dir, server: join(dir, 'bin', 'toxiproxy-server'), version: v }
}
