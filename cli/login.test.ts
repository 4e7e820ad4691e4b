import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loginCommand, tlsSettings } from './login.ts'
import { StartError, UsageError } from './usage.ts'

describe('drover login flags', () => {
  it.each([
    [[], /server URL/],
    [['not-a-url'], /must be a URL/],
    [['https://edge', 'extra'], /unexpected/],
    [['https://edge', '--username', ''], /--username/],
    [['https://edge', '--cacert', 'x', '--insecure-skip-tls-verify'], /exclude each other/],
  ])('%j is a usage error', async (argv, message) => {
    const run = loginCommand(argv as string[])
    await expect(run).rejects.toThrow(UsageError)
    await expect(run).rejects.toThrow(message)
  })

  it('rejects unknown flags', async () => {
    await expect(loginCommand(['https://edge', '--pasword-stdin'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
  })
})

describe('TLS settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-cli-tls-'))
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

  it('reads --cacert, and keeps what an earlier login stored when no flag is given', async () => {
    const file = join(dir, 'ca.crt')
    writeFileSync(file, pem)
    expect(await tlsSettings({ cacert: file }, { insecureSkipTlsVerify: true })).toEqual({ cacert: pem })
    expect(await tlsSettings({}, { cacert: pem })).toEqual({ cacert: pem })
    expect(await tlsSettings({ insecure: true }, { cacert: pem })).toEqual({ insecureSkipTlsVerify: true })
  })

  it('refuses a --cacert that is missing or holds no certificate', async () => {
    const file = join(dir, 'not-a-cert')
    writeFileSync(file, 'hello')
    await expect(tlsSettings({ cacert: file }, {})).rejects.toThrow(StartError)
    await expect(tlsSettings({ cacert: join(dir, 'missing') }, {})).rejects.toThrow(/cannot read/)
  })
})
