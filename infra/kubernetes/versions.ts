import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import pinned from './versions.json' with { type: 'json' }

export interface Versions {
  kubernetes: string
  goMinimum: string
  etcd: string
  kwok: string
  /** helm.sh/helm/v4 (or /v3, by the major version): built from its module like the rest. */
  helm: string
  /** github.com/Shopify/toxiproxy/v2: the fault tests' TCP proxy, built from its module like the rest. */
  toxiproxy: string
}

export const versions: Versions = pinned

/** Bumped when the way binaries are built changes, so an old cache is not reused. */
const RECIPE = 1

export const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'etcd', 'kwok'] as const
export type Binary = (typeof BINARIES)[number]

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_CACHE_DIR) return env.DROVER_CACHE_DIR
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'drover')
}

/** The directory the pinned versions build into: one per combination of versions and recipe. */
export function kubernetesCacheDir(env: NodeJS.ProcessEnv = process.env, v: Versions = versions): string {
  const key = createHash('sha256').update(JSON.stringify([RECIPE, v.kubernetes, v.etcd, v.kwok])).digest('hex').slice(0, 12)
  return join(cacheRoot(env), 'kubernetes', `${v.kubernetes}-${key}`)
}

/** `v1.37.2` → `{ major: '1', minor: '37' }` */
export function majorMinor(version: string): { major: string; minor: string } {
  const m = /^v(\d+)\.(\d+)\.\d+$/.exec(version)
  if (!m) throw new Error(`pinned version "${version}" is not of the form vMAJOR.MINOR.PATCH`)
  return { major: m[1]!, minor: m[2]! }
}

/** Bumped when the way helm is built changes. */
const HELM_RECIPE = 1

/** helm's own cache entry, so a new helm pin leaves the Kubernetes build alone (and the reverse). */
export function helmCacheDir(env: NodeJS.ProcessEnv = process.env, v: Versions = versions): string {
  const key = createHash('sha256').update(JSON.stringify([HELM_RECIPE, v.helm])).digest('hex').slice(0, 12)
  return join(cacheRoot(env), 'helm', `${v.helm}-${key}`)
}

/** `v4.3.1` → `helm.sh/helm/v4`: the module path carries the major version. */
export function helmModule(version: string): string {
  const m = /^v(\d+)\.\d+\.\d+$/.exec(version)
  if (!m || Number(m[1]) < 3) throw new Error(`pinned helm version "${version}" is not of the form v3.X.Y or v4.X.Y`)
  return `helm.sh/helm/v${m[1]}`
}

/** Bumped when the way toxiproxy is built changes. */
const TOXIPROXY_RECIPE = 1

/** toxiproxy's own cache entry: only the fault tests need it, and its pin moves apart from Kubernetes'. */
export function toxiproxyCacheDir(env: NodeJS.ProcessEnv = process.env, v: Versions = versions): string {
  const key = createHash('sha256').update(JSON.stringify([TOXIPROXY_RECIPE, v.toxiproxy])).digest('hex').slice(0, 12)
  return join(cacheRoot(env), 'toxiproxy', `${v.toxiproxy}-${key}`)
}
