import { parseArgs } from 'node:util'
import { down, kubeconfigPath, list, up } from '../infra/dev-cluster/cluster.ts'
import { stderrLog } from './progress.ts'
import { UsageError } from './usage.ts'

export async function devClusterCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { lite: { type: 'boolean', default: false }, nodes: { type: 'string', default: '2' } },
  })
  const [sub, name, ...extra] = positionals
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  const needName = () => {
    if (!name) throw new UsageError(`dev-cluster ${sub} needs a cluster NAME`)
    return name
  }
  switch (sub) {
    case 'up': {
      const nodes = Number(values.nodes)
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) throw new UsageError(`--nodes must be a whole number from 1 to 50, not "${values.nodes}"`)
      const rec = await up(needName(), { mode: values.lite ? 'lite' : 'full', nodes, log: stderrLog })
      process.stdout.write(`${rec.kubeconfig}\n`)
      return 0
    }
    case 'down':
      await down(needName())
      stderrLog(`dev cluster "${name}" stopped and deleted`)
      return 0
    case 'list': {
      const rows = await list()
      if (!rows.length) {
        stderrLog('no dev clusters; start one with "drover dev-cluster up NAME"')
        return 0
      }
      for (const r of rows) process.stdout.write(`${r.name}\t${r.health}\t${r.mode}\t${r.server}\t${r.kubeconfig}\n`)
      return 0
    }
    case 'kubeconfig':
      process.stdout.write(`${await kubeconfigPath(needName())}\n`)
      return 0
    default:
      throw new UsageError(sub ? `unknown dev-cluster command "${sub}"` : 'dev-cluster needs a command: up, down, list or kubeconfig')
  }
}
