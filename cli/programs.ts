import { runCommand } from './command.ts'
import { StartError } from './usage.ts'

// The bundled `drover` (dist/drover.mjs, built by infra/build/programs.ts): only the programs that run in
// clusters (agent, runner, extension API server), for the image and for `drover start`'s children — no
// TypeScript loader, no node_modules.
// Each loads lazily, in a chunk of its own: the agent never loads the runner's code, nor the runner the agent's.
process.exitCode = await runCommand(process.argv.slice(2), {
  agent: async (argv) => (await import('./agent.ts')).agentCommand(argv),
  runner: async (argv) => (await import('./runner.ts')).runnerCommand(argv),
  'ext-apiserver': async (argv) => (await import('./ext-apiserver.ts')).extApiServerCommand(argv),
}, [StartError])
