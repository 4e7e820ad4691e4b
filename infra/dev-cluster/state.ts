import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isRunning } from './processes.ts'

export class DevClusterError extends Error {}

export type Mode = 'full' | 'lite'

export interface Component {
  name: string
  bin: string
  pid: number
  log: string
}

/** What `cluster.json` records about a dev cluster; enough to find, use and stop it from any process. */
export interface DevClusterRecord {
  name: string
  mode: Mode
  dir: string
  server: string
  kubeconfig: string
  ports: Record<string, number>
  components: Component[]
  startedAt: string
  kubernetesVersion: string
  /**
   * The aggregation layer's PKI (PEM file paths): the request-header CA an extension API server is started
   * against, its key, and the front-proxy client certificate the apiserver presents. Absent in the records
   * of clusters started before it existed.
   */
  frontProxy?: { caCert: string; caKey: string; clientCert: string; clientKey: string }
}

/** The record's front-proxy PKI; a cluster started before dev clusters had one must be started again. */
export function frontProxyOf(rec: DevClusterRecord): NonNullable<DevClusterRecord['frontProxy']> {
  if (rec.frontProxy) return rec.frontProxy
  throw new DevClusterError(
    `dev cluster "${rec.name}" was started before dev clusters had a front-proxy CA (the aggregation layer); start it again: "drover dev-cluster down ${rec.name}", then "up"`,
  )
}

const NAME = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/

export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DevClusterError(
      `invalid dev cluster name "${name}": use 1–40 lowercase letters, digits and '-', starting with a letter (e.g. down-a)`,
    )
  }
}

export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_STATE_DIR) return env.DROVER_STATE_DIR
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'drover')
}

export function clusterDir(name: string, env?: NodeJS.ProcessEnv): string {
  return join(stateRoot(env), 'clusters', name)
}

export async function readRecord(name: string, env?: NodeJS.ProcessEnv): Promise<DevClusterRecord | undefined> {
  const file = join(clusterDir(name, env), 'cluster.json')
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevClusterRecord
  } catch {
    return undefined
  }
}

export async function writeRecord(rec: DevClusterRecord): Promise<void> {
  await writeFile(join(rec.dir, 'cluster.json'), JSON.stringify(rec, null, 2) + '\n')
}

export type Health = 'running' | 'degraded' | 'stopped'

export function health(rec: DevClusterRecord): Health {
  const alive = rec.components.filter((c) => isRunning(c.pid, c.bin)).length
  return alive === rec.components.length && alive > 0 ? 'running' : alive > 0 ? 'degraded' : 'stopped'
}

export async function clusterNames(env?: NodeJS.ProcessEnv): Promise<string[]> {
  const root = join(stateRoot(env), 'clusters')
  if (!existsSync(root)) return []
  return (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
}
