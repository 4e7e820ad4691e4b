import { MissingToolchainError } from '../infra/kubernetes/go-toolchain.ts'
import { DevClusterError } from '../infra/dev-cluster/state.ts'
import { CommandError } from '../infra/kubernetes/progress.ts'
import { StartError, UsageError } from './usage.ts'

const USAGE = `usage: drover <command>

commands:
  start [--port N] [--kubeconfig PATH] [--admin-password P]
                                      start the local stack: management cluster, edge, runner, local agent;
                                      prints the URL and admin credentials and writes .drover/state.json
  dev-cluster up NAME [--lite] [--nodes N]
                                      start a local Kubernetes cluster; prints its kubeconfig path last
  dev-cluster down NAME               stop it and delete its data
  dev-cluster list                    list dev clusters and whether they run
  dev-cluster kubeconfig NAME         print the path of a dev cluster's admin kubeconfig
  agent --server URL [--token T] [--kubeconfig PATH] [--service-account NS/NAME]
        [--ca-checksum SHA256] [--tls-mode strict|system-store]
                                      run a cluster agent as a local process (token also from DROVER_AGENT_TOKEN,
                                      the edge CA's checksum from DROVER_CA_CHECKSUM, the mode from DROVER_AGENT_TLS_MODE)
  runner [--kubeconfig PATH] [--namespace NS] [--lease-name NAME]
         [--lease-duration S] [--renew-deadline S] [--retry-period S] [--metrics-addr HOST:PORT]
         [--edge-url URL] [--edge-token T] [--edge-ca PEM] [--server-url URL]
                                      run the controller runner (leader-elected; token also from DROVER_EDGE_TOKEN)
  build-kubernetes                    build the pinned Kubernetes binaries into the cache (done on demand too)
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  // Commands load lazily: `dev-cluster list` should not pay for the agent's dependencies.
  switch (command) {
    case 'dev-cluster':
      return (await import('./dev-cluster.ts')).devClusterCommand(rest)
    case 'agent':
      return (await import('./agent.ts')).agentCommand(rest)
    case 'runner':
      return (await import('./runner.ts')).runnerCommand(rest)
    case 'build-kubernetes':
      return (await import('./build-kubernetes.ts')).buildKubernetesCommand(rest)
    case 'start':
      return (await import('./start.ts')).startCommand(rest)
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
  } else if (e instanceof DevClusterError || e instanceof MissingToolchainError || e instanceof CommandError || e instanceof StartError) {
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

