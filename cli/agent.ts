import { parseArgs } from 'node:util'
import { runAgent } from '../agent/dialer.ts'
import { createLogger } from '../agent/log.ts'
import { UsageError } from './usage.ts'

/**
 * `drover agent --server <url> --token <token> [--kubeconfig <path>]`: an agent as a local process, for
 * a cluster with no nodes to run it. The token may come from DROVER_AGENT_TOKEN instead, which keeps it
 * out of `ps`. Runs until SIGINT/SIGTERM, then closes the tunnel cleanly.
 */
export async function agentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  const server = values.server
  if (!server) throw new UsageError('agent needs --server <edge URL>')
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new UsageError(`--server must be a URL, not "${server}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, not "${server}"`)
  const token = values.token ?? process.env.DROVER_AGENT_TOKEN
  if (!token) throw new UsageError('agent needs --token <token> (or DROVER_AGENT_TOKEN in the environment)')
  if (values.kubeconfig === '') throw new UsageError('--kubeconfig needs a path')

  const logger = createLogger()
  const agent = runAgent({ server, token, logger, ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}) })
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      // A second signal while stopping gets Node's default handling (exit at once).
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(s)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
  logger.info({ signal }, 'stopping the agent')
  await agent.stop()
  return 0
}
