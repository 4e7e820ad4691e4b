import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StartError, UsageError } from '../usage.ts'
import { chooseServer, configPath, readConfig, serverKey, sessionState, updateServer, writeConfig } from './config.ts'

const dir = () => mkdtempSync(join(tmpdir(), 'drover-cli-config-'))
const session = { token: 'token-abcde:secret', provider: 'local', username: 'ann' }

describe('config file location', () => {
  it('is DROVER_CONFIG, else under XDG_CONFIG_HOME, else under ~/.config', () => {
    expect(configPath({ DROVER_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg' })).toBe('/x/c.json')
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/drover/config.json')
    expect(configPath({})).toMatch(/\/\.config\/drover\/config\.json$/)
  })
})

describe('server keys', () => {
  it.each([
    ['https://edge.example/', 'https://edge.example'],
    ['https://EDGE.example:443', 'https://edge.example'],
    ['https://edge.example:8443/drover/?q=1#x', 'https://edge.example:8443/drover'],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
  ])('%s is stored as %s', (url, key) => expect(serverKey(url)).toBe(key))

  it.each(['edge.example', 'ftp://edge.example', 'https://u:p@edge.example'])('%s is a usage error', (url) => {
    expect(() => serverKey(url)).toThrow(UsageError)
  })
})

describe('reading and writing', () => {
  it('a missing file is an empty config', async () => {
    expect(await readConfig(join(dir(), 'none.json'))).toEqual({ servers: {} })
  })

  it('writes the file and its folder for the owner only, and reads back what it wrote', async () => {
    const path = join(dir(), 'sub', 'config.json')
    await updateServer('https://a.example', () => ({ cacert: 'PEM', session }), path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700)
    await updateServer('https://b.example', () => ({ insecureSkipTlsVerify: true }), path)
    expect(await readConfig(path)).toEqual({ servers: { 'https://a.example': { cacert: 'PEM', session }, 'https://b.example': { insecureSkipTlsVerify: true } } })
    await updateServer('https://a.example', () => undefined, path)
    expect(Object.keys((await readConfig(path)).servers)).toEqual(['https://b.example'])
  })

  it('narrows a file that was readable by others when it rewrites it', async () => {
    const path = join(dir(), 'config.json')
    writeFileSync(path, '{"servers":{}}', { mode: 0o644 })
    await writeConfig({ servers: {} }, path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it.each([
    ['not json', /not valid JSON/],
    ['{"servers":{"https://a":{"session":{"provider":"local"}}}}', /not a drover command-line config/],
    ['[]', /not a drover command-line config/],
  ])('a malformed file (%s) is an error naming it', async (text, message) => {
    const path = join(dir(), 'config.json')
    writeFileSync(path, text)
    const read = readConfig(path)
    await expect(read).rejects.toThrow(StartError)
    await expect(read).rejects.toThrow(message)
    await expect(readConfig(path)).rejects.toThrow(path)
  })
})

describe('choosing the server', () => {
  const config = (...keys: string[]) => ({ servers: Object.fromEntries(keys.map((k) => [k, { session }])) })
  it('takes the one named, else the only one logged in to', () => {
    expect(chooseServer(config(), 'https://x.example/')).toBe('https://x.example')
    expect(chooseServer({ servers: { 'https://a': { session }, 'https://b': {} } }, undefined)).toBe('https://a')
  })
  it('asks for --server when none or several are logged in to', () => {
    expect(() => chooseServer(config(), undefined)).toThrow(/drover login/)
    expect(() => chooseServer(config('https://a', 'https://b'), undefined)).toThrow(/--server/)
  })
})

describe('session state', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it.each([
    [undefined, 'valid'],
    ['2026-01-01T01:00:00Z', 'valid'],
    ['2026-01-01T00:00:30Z', 'expiring'],
    ['2026-01-01T00:00:00Z', 'lapsed'],
    ['2025-12-31T00:00:00Z', 'lapsed'],
    ['not a date', 'lapsed'],
  ])('expiring at %s is %s', (expiresAt, state) => {
    expect(sessionState({ ...session, ...(expiresAt ? { expiresAt } : {}) }, now)).toBe(state)
  })
})
