import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { down, up } from '../infra/dev-cluster/cluster.ts'
import { health, readRecord } from '../infra/dev-cluster/state.ts'
import { stderrLog } from './progress.ts'
import { UsageError } from './usage.ts'

const MANAGEMENT = 'management'

/**
 * The local stack. Today it is the management dev cluster with drover's CRDs; the edge, the runner and
 * the local agent join it as they land. Ctrl-C stops what this command started.
 */
export async function startCommand(argv: string[]): Promise<number> {
  if (argv.length) throw new UsageError(`start takes no arguments yet`)
  const existing = await readRecord(MANAGEMENT)
  const reuse = existing !== undefined && health(existing) === 'running'
  const rec = reuse ? existing : await up(MANAGEMENT, { log: stderrLog })
  if (reuse) stderrLog(`reusing the running management cluster at ${rec.server}`)
  const stateDir = join(process.cwd(), '.drover')
  await mkdir(stateDir, { recursive: true })
  const state = { managementServer: rec.server, managementKubeconfig: rec.kubeconfig }
  await writeFile(join(stateDir, 'state.json'), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  stderrLog(`management cluster: ${rec.server}`)
  stderrLog(`kubeconfig:         ${rec.kubeconfig}`)
  stderrLog(`state:              ${join(stateDir, 'state.json')}`)
  stderrLog(reuse ? 'ready (Ctrl-C leaves the cluster running: this start did not create it)' : 'ready; Ctrl-C stops it')
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  if (!reuse) {
    stderrLog('stopping the management cluster…')
    await down(MANAGEMENT)
  }
  return 0
}
