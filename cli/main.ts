import { MissingToolchainError } from '../infra/kubernetes/go-toolchain.ts'
import { DevClusterError } from '../infra/dev-cluster/state.ts'
import { CommandError } from '../infra/kubernetes/progress.ts'
import { devClusterCommand } from './dev-cluster.ts'
import { buildKubernetesCommand } from './build-kubernetes.ts'
import { startCommand } from './start.ts'
import { UsageError } from './usage.ts'

const USAGE = `usage: drover <command>

commands:
  start                               start the local stack (for now: the management dev cluster with CRDs)
  dev-cluster up NAME [--lite] [--nodes N]
                                      start a local Kubernetes cluster; prints its kubeconfig path last
  dev-cluster down NAME               stop it and delete its data
  dev-cluster list                    list dev clusters and whether they run
  dev-cluster kubeconfig NAME         print the path of a dev cluster's admin kubeconfig
  build-kubernetes                    build the pinned Kubernetes binaries into the cache (done on demand too)
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'dev-cluster':
      return devClusterCommand(rest)
    case 'build-kubernetes':
      return buildKubernetesCommand(rest)
    case 'start':
      return startCommand(rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`drover: ${e.message}\n\n${USAGE}`)
    process.exitCode = 2
  } else if (e instanceof DevClusterError || e instanceof MissingToolchainError || e instanceof CommandError) {
    process.stderr.write(`drover: ${e.message}\n`)
    process.exitCode = 1
  } else if (e instanceof Error && 'code' in e && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`drover: ${e.message}\n\n${USAGE}`)
    process.exitCode = 2
  } else {
    process.stderr.write(`drover: unexpected error: ${e instanceof Error ? (process.env.DROVER_DEBUG ? e.stack : e.message) : String(e)}\n`)
    process.exitCode = 1
  }
}

