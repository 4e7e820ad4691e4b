import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { agentCommand } from '../cli/agent.ts'
import { UsageError } from '../cli/usage.ts'

describe('drover agent flags', () => {
  let saved: string | undefined
  beforeEach(() => {
    saved = process.env.DROVER_AGENT_TOKEN
    delete process.env.DROVER_AGENT_TOKEN
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.DROVER_AGENT_TOKEN
    else process.env.DROVER_AGENT_TOKEN = saved
  })

  it.each([
    [[], /--server/],
    [['--server', 'not a url', '--token', 't'], /must be a URL/],
    [['--server', 'ftp://edge', '--token', 't'], /http/],
    [['--server', 'https://edge.example'], /--token/],
    [['--server', 'https://edge.example', '--token', 't', '--kubeconfig', ''], /--kubeconfig/],
    [['--server', 'https://edge.example', '--token', 't', 'extra'], /unexpected/],
    [['--server', 'https://edge.example', '--token', 't', '--service-account', 'default'], /<namespace>\/<name>/],
    [['--server', 'https://edge.example', '--token', 't', '--service-account', 'Bad/x'], /<namespace>\/<name>/],
  ])('%j is a usage error', async (argv, message) => {
    const run = agentCommand(argv as string[])
    await expect(run).rejects.toThrow(UsageError)
    await expect(run).rejects.toThrow(message)
  })

  it('rejects unknown flags', async () => {
    await expect(agentCommand(['--server', 'https://e', '--token', 't', '--tokn', 'x'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
  })

  it('takes the token from DROVER_AGENT_TOKEN, then fails on the missing kubeconfig file', async () => {
    process.env.DROVER_AGENT_TOKEN = 'from-env'
    const run = agentCommand(['--server', 'https://edge.example', '--kubeconfig', '/nonexistent/kubeconfig'])
    await expect(run).rejects.not.toThrow(UsageError)
    await expect(run).rejects.toThrow(/ENOENT|nonexistent/)
  })
})
