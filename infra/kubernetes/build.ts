import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureBuilt, type BuildOptions, type Go } from './cached-build.ts'
import { BINARIES, kubernetesCacheDir, majorMinor, versions, type Binary, type Versions } from './versions.ts'

export type { BuildOptions } from './cached-build.ts'

export interface KubernetesBinaries {
  dir: string
  bin: Record<Binary, string>
  /** kwok's Stage documents for nodes and pods, copied from its module. */
  kwokStages: string
  versions: Versions
}

function describe(dir: string, v: Versions): KubernetesBinaries {
  const bin = Object.fromEntries(BINARIES.map((b) => [b, join(dir, 'bin', b)])) as Record<Binary, string>
  return { dir, bin, kwokStages: join(dir, 'kwok-stages.yaml'), versions: v }
}

/**
 * Makes sure the pinned kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd and kwok are
 * built into the cache. Idempotent and safe to call from several processes at once (see ensureBuilt).
 * helm has its own cache entry (helm.ts), so pinning a new helm does not rebuild Kubernetes.
 */
export async function ensureKubernetesBinaries(opts: BuildOptions = {}): Promise<KubernetesBinaries> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[kubernetes] ${l}\n`))
  const dir = kubernetesCacheDir(opts.env ?? process.env)
  const { kubernetes, goMinimum, etcd, kwok } = versions
  await ensureBuilt(
    {
      dir,
      goMinimum,
      what: `Kubernetes ${kubernetes}, etcd ${etcd} and kwok ${kwok}`,
      expected: '10–30 minutes',
      stamp: { kubernetes, goMinimum, etcd, kwok },
      build: async (tmp, go) => {
        await buildKubernetes(tmp, go)
        await buildEtcd(tmp, go)
        await buildKwok(tmp, go)
      },
    },
    opts,
    log,
  )
  return describe(dir, versions)
}

/** A throwaway module that requires `mod@version`, with tools.go importing the mains to build. */
async function wrapperModule(dir: string, name: string, goMinimum: string, mains: string[]): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'go.mod'), `module drover.local/${name}-build\n\ngo ${goMinimum}\n`)
  const imports = mains.map((m) => `\t_ "${m}"`).join('\n')
  await writeFile(join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`)
}

/**
 * k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths, which a
 * module download does not have. Each such replace, read from the upstream go.mod, becomes a replace to
 * the published staging module of the matching version (v1.X.Y → v0.X.Y).
 */
export function stagingReplaces(upstreamGoMod: string, pattern: RegExp, versionOf: (mod: string) => string): string[] {
  const out: string[] = []
  for (const line of upstreamGoMod.split('\n')) {
    const m = pattern.exec(line.trim())
    if (m) out.push(`-replace=${m[1]}=${m[1]}@${versionOf(m[1]!)}`)
  }
  return out
}

async function downloadGoMod(go: Go, cwd: string, modAtVersion: string): Promise<string> {
  const info = JSON.parse(await go(`downloading ${modAtVersion}`, ['mod', 'download', '-json', modAtVersion], cwd)) as { GoMod: string }
  return readFile(info.GoMod, 'utf8')
}

async function buildKubernetes(out: string, go: Go): Promise<void> {
  const v = versions.kubernetes
  const { major, minor } = majorMinor(v)
  const work = join(out, 'work', 'kubernetes')
  const cmds = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map((c) => `k8s.io/kubernetes/cmd/${c}`)
  await wrapperModule(work, 'kubernetes', versions.goMinimum, cmds)
  const upstream = await downloadGoMod(go, work, `k8s.io/kubernetes@${v}`)
  const staging = `v0${v.slice(v.indexOf('.'))}`
  const replaces = stagingReplaces(upstream, /^(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//, () => staging)
  if (replaces.length < 20) throw new Error(`expected the staging modules of k8s.io/kubernetes ${v}, found ${replaces.length}`)
  await go('pinning staging modules', ['mod', 'edit', `-require=k8s.io/kubernetes@${v}`, ...replaces], work)
  await go(`resolving dependencies of Kubernetes ${v}`, ['mod', 'tidy'], work)
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const ldflags = ['-s', '-w']
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    ldflags.push(
      `-X ${pkg}.gitVersion=${v}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitCommit=drover-module-build`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=${date}`,
    )
  }
  await go(
    `compiling kube-apiserver, kube-controller-manager, kube-scheduler and kubectl ${v}`,
    ['build', '-trimpath', '-tags', 'selinux,notest,grpcnotrace', '-ldflags', ldflags.join(' '), '-o', join(out, 'bin') + '/', ...cmds],
    work,
  )
}

async function buildEtcd(out: string, go: Go): Promise<void> {
  const v = versions.etcd
  const work = join(out, 'work', 'etcd')
  await wrapperModule(work, 'etcd', versions.goMinimum, ['go.etcd.io/etcd/server/v3'])
  const upstream = await downloadGoMod(go, work, `go.etcd.io/etcd/server/v3@${v}`)
  const replaces = stagingReplaces(upstream, /^(go\.etcd\.io\/etcd\/[\w./-]+)\s+=>\s+\.\.\//, () => v)
  await go('pinning etcd modules', ['mod', 'edit', `-require=go.etcd.io/etcd/server/v3@${v}`, ...replaces], work)
  await go(`resolving dependencies of etcd ${v}`, ['mod', 'tidy'], work)
  await go(`compiling etcd ${v}`, ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(out, 'bin', 'etcd'), 'go.etcd.io/etcd/server/v3'], work)
}

async function buildKwok(out: string, go: Go): Promise<void> {
  const v = versions.kwok
  const work = join(out, 'work', 'kwok')
  await mkdir(work, { recursive: true })
  await go(`compiling kwok ${v}`, ['install', '-trimpath', '-ldflags', '-s -w', `sigs.k8s.io/kwok/cmd/kwok@${v}`], work, {
    GOBIN: join(out, 'bin'),
    GOFLAGS: '-buildvcs=false',
  })
  const info = JSON.parse(
    await go('locating kwok stages', ['mod', 'download', '-json', `sigs.k8s.io/kwok@${v}`], work, { GOFLAGS: '-buildvcs=false' }),
  ) as { Dir: string }
  const stage = join(info.Dir, 'kustomize', 'stage')
  const files = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ]
  const docs = await Promise.all(files.map((f) => readFile(join(stage, f), 'utf8')))
  await writeFile(join(out, 'kwok-stages.yaml'), docs.map((d) => d.trim()).join('\n---\n') + '\n')
}
