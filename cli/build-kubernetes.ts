import { ensureKubernetesBinaries } from '../infra/kubernetes/build.ts'
import { stderrLog } from './progress.ts'
import { UsageError } from './usage.ts'

export async function buildKubernetesCommand(argv: string[]): Promise<number> {
  if (argv.length) throw new UsageError(`build-kubernetes takes no arguments`)
  const k8s = await ensureKubernetesBinaries({ log: (l) => stderrLog(`[kubernetes] ${l}`) })
  process.stdout.write(`${k8s.dir}\n`)
  return 0
}
