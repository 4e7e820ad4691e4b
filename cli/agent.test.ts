import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { agentCommand } from './agent.ts'
import { UsageError } from './usage.ts'

const ENV = ['DROVER_AGENT_TOKEN', 'DROVER_CA_CHECKSUM', 'DROVER_AGENT_TLS_MODE'] as const
const CHECKSUM = 'ab'.repeat(32)

describe('drover agent flags', () => {
  let saved: Partial<Record<(typeof ENV)[number], string>> = {}
  beforeEach(() => {
    saved = {}
    for (const k of ENV) {
      if (process.env[k] !== undefined) saved[k] = process.env[k]
      delete process.env[k]
    }
  })
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
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
    [['--server', 'https://edge.example', '--token', 't', '--tls-mode', 'strict'], /--ca-checksum \/ DROVER_CA_CHECKSUM/],
    [['--server', 'https://edge.example', '--token', 't', '--tls-mode', 'loose'], /strict, system-store/],
    [['--server', 'https://edge.example', '--token', 't', '--ca-checksum', 'not-hex'], /64 hex digits/],
    [['--server', 'http://edge.example', '--token', 't', '--ca-checksum', CHECKSUM], /https/],
  ])('%j is a usage error', async (argv, message) => {
    const run = agentCommand(argv as string[])
    await expect(run).rejects.toThrow(UsageError)
    await expect(run).rejects.toThrow(message)
  })

  it('rejects unknown flags', async () => {
    await expect(agentCommand(['--server', 'https://e', '--token', 't', '--tokn', 'x'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
  })

  it('refuses strict mode from DROVER_AGENT_TLS_MODE without a checksum, as the manifest would start it', async () => {
    process.env.DROVER_AGENT_TLS_MODE = 'strict'
    await expect(agentCommand(['--server', 'https://edge.example', '--token', 't'])).rejects.toThrow(/strict TLS mode .* set --ca-checksum/)
  })

  it('takes the checksum and mode from the environment, then fails on the missing kubeconfig file', async () => {
    process.env.DROVER_AGENT_TLS_MODE = 'strict'
    process.env.DROVER_CA_CHECKSUM = CHECKSUM
    const run = agentCommand(['--server', 'https://edge.example', '--token', 't', '--kubeconfig', '/nonexistent/kubeconfig'])
    await expect(run).rejects.not.toThrow(UsageError)
    await expect(run).rejects.toThrow(/ENOENT|nonexistent/)
  })

  it('takes the token from DROVER_AGENT_TOKEN, then fails on the missing kubeconfig file', async () => {
    process.env.DROVER_AGENT_TOKEN = 'from-env'
    const run = agentCommand(['--server', 'https://edge.example', '--kubeconfig', '/nonexistent/kubeconfig'])
    await expect(run).rejects.not.toThrow(UsageError)
    await expect(run).rejects.toThrow(/ENOENT|nonexistent/)
  })
})
