import { describe, expect, it } from 'vitest'
import { execCredential, isInteractive, tokenCommand } from './token.ts'
import { UsageError } from './usage.ts'

describe('drover token', () => {
  it('is interactive as kubectl says, else when stdin is a terminal', () => {
    const info = (interactive: boolean) => JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive } })
    expect(isInteractive(info(true), false)).toBe(true)
    expect(isInteractive(info(false), true)).toBe(false)
    expect(isInteractive('not json', true)).toBe(false)
    expect(isInteractive(undefined, true)).toBe(true)
    expect(isInteractive(undefined, false)).toBe(false)
  })

  it('prints an ExecCredential with the expiry, or without one for a token that does not expire', () => {
    expect(JSON.parse(execCredential({ token: 't-1:s', provider: 'local', expiresAt: '2026-01-01T00:00:00Z' }))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 't-1:s', expirationTimestamp: '2026-01-01T00:00:00.000Z' },
    })
    expect(JSON.parse(execCredential({ token: 't-1:s', provider: 'local' })).status).toEqual({ token: 't-1:s' })
  })

  it.each([
    [[], /--server/],
    [['--server', 'edge'], /URL/],
    [['--server', 'https://edge', '--cluster', 'Bad_Id'], /cluster id/],
    [['--server', 'https://edge', 'extra'], /unexpected/],
  ])('%j is a usage error', async (argv, message) => {
    const run = tokenCommand(argv as string[])
    await expect(run).rejects.toThrow(UsageError)
    await expect(run).rejects.toThrow(message)
  })
})
