import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { downAll } from '../infra/dev-cluster/cluster.ts'
import { ensureKubernetesBinaries } from '../infra/kubernetes/build.ts'
import { ensureUi } from '../infra/build/ui.ts'

/**
 * Runs once per `vitest run`: builds the pinned Kubernetes binaries if the cache lacks them (with
 * progress) and gives the run its own dev-cluster state directory, swept at the end so no cluster
 * outlives the tests.
 */
export async function setup(): Promise<() => Promise<void>> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drover-test-'))
  process.env.DROVER_STATE_DIR = stateDir
  await ensureKubernetesBinaries({ log: (l) => process.stderr.write(`[kubernetes] ${l}\n`) })
  // The edge serves dist/ui (wrangler.toml [assets]): the browser tests and `wrangler deploy` need it built.
  await ensureUi({ log: (l) => process.stderr.write(`[ui] ${l}\n`) })
  return async () => {
    await downAll({ ...process.env, DROVER_STATE_DIR: stateDir })
    rmSync(stateDir, { recursive: true, force: true })
  }
}
