import { MissingToolchainError } from '../infra/kubernetes/go-toolchain.ts'
import { DevClusterError } from '../infra/dev-cluster/state.ts'
import { CommandError } from '../infra/kubernetes/progress.ts'
import { runCommand } from './command.ts'
import { StartError } from './usage.ts'

// Commands load lazily: `dev-cluster list` should not pay for the agent's dependencies.
process.exitCode = await runCommand(
  process.argv.slice(2),
  {
    start: async (argv) => (await import('./start.ts')).startCommand(argv),
    'dev-cluster': async (argv) => (await import('./dev-cluster.ts')).devClusterCommand(argv),
    agent: async (argv) => (await import('./agent.ts')).agentCommand(argv),
    runner: async (argv) => (await import('./runner.ts')).runnerCommand(argv),
    'ext-apiserver': async (argv) => (await import('./ext-apiserver.ts')).extApiServerCommand(argv),
    'build-kubernetes': async (argv) => (await import('./build-kubernetes.ts')).buildKubernetesCommand(argv),
    'build-programs': async (argv) => (await import('./build-programs.ts')).buildProgramsCommand(argv),
    'build-ui': async (argv) => (await import('./build-ui.ts')).buildUiCommand(argv),
    login: async (argv) => (await import('./login.ts')).loginCommand(argv),
    logout: async (argv) => (await import('./login.ts')).logoutCommand(argv),
    clusters: async (argv) => (await import('./clusters.ts')).clustersCommand(argv),
    kubeconfig: async (argv) => (await import('./kubeconfig.ts')).kubeconfigCommand(argv),
    token: async (argv) => (await import('./token.ts')).tokenCommand(argv),
  },
  [DevClusterError, MissingToolchainError, CommandError, StartError],
)
