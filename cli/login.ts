import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { configPath, readConfig, serverKey, updateServer, type ServerEntry } from './session/config.ts'
import { EdgeClient, errorMessage } from './session/edge-client.ts'
import { logIn } from './session/log-in.ts'
import { StartError, UsageError } from './usage.ts'

type TlsSettings = Pick<ServerEntry, 'cacert' | 'insecureSkipTlsVerify'>

/** TLS settings from the flags, else those stored for the server by an earlier login. */
export async function tlsSettings(flags: { cacert?: string | undefined; insecure?: boolean | undefined }, stored: ServerEntry): Promise<TlsSettings> {
  if (flags.cacert !== undefined && flags.insecure) throw new UsageError('--cacert and --insecure-skip-tls-verify exclude each other')
  if (flags.insecure) return { insecureSkipTlsVerify: true }
  if (flags.cacert === undefined) return { ...(stored.cacert ? { cacert: stored.cacert } : {}), ...(stored.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}) }
  if (!flags.cacert) throw new UsageError('--cacert needs a file')
  let pem: string
  try {
    pem = await readFile(flags.cacert, 'utf8')
  } catch (e) {
    throw new StartError(`cannot read --cacert ${flags.cacert}: ${(e as Error).message}`)
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new StartError(`--cacert ${flags.cacert} holds no PEM certificate`)
  return { cacert: pem }
}

/**
 * `drover login <url> [--provider ID] [--username NAME] [--password-stdin] [--cacert FILE | --insecure-skip-tls-verify]`:
 * logs in with a username/password provider and keeps the session (and the TLS settings) for that server
 * in the config file. Nothing is stored unless the login succeeds.
 */
export async function loginCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      cacert: { type: 'string' },
      'insecure-skip-tls-verify': { type: 'boolean', default: false },
    },
  })
  const [url, ...extra] = positionals
  if (!url) throw new UsageError('login needs the server URL, e.g. drover login https://drover.example.com')
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  if (values.username === '') throw new UsageError('--username needs a name')
  const key = serverKey(url)
  const stored = (await readConfig()).servers[key] ?? {}
  const tls = await tlsSettings({ cacert: values.cacert, insecure: values['insecure-skip-tls-verify'] }, stored)

  await using edge = new EdgeClient(key, tls)
  const session = await logIn(edge, values.provider, { username: values.username, passwordStdin: values['password-stdin'] })
  await updateServer(key, () => ({ ...tls, session }))
  // The session this one replaces is ended, not left valid until it expires.
  if (stored.session && stored.session.token !== session.token) await edge.request('POST', '/v3/tokens?action=logout', { token: stored.session.token }).catch(() => undefined)
  const until = session.expiresAt ? `; the session lasts until ${session.expiresAt}` : ''
  process.stdout.write(`Logged in to ${key} as ${session.username} (${session.provider})${until}.\n`)
  process.stdout.write(`Saved in ${configPath()}. Next: drover clusters, drover kubeconfig <cluster>.\n`)
  return 0
}

/** `drover logout [url]`: ends the session at the edge and forgets it (the TLS settings stay). */
export async function logoutCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} })
  const [url, ...extra] = positionals
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  const config = await readConfig()
  let key: string
  if (url) key = serverKey(url)
  else {
    const withSession = Object.keys(config.servers).filter((k) => config.servers[k]!.session)
    if (withSession.length !== 1) throw new UsageError(withSession.length ? `logged in to several servers (${withSession.join(', ')}): say which` : 'not logged in to any server')
    key = withSession[0]!
  }
  const entry = config.servers[key]
  if (!entry?.session) {
    process.stdout.write(`Not logged in to ${key}.\n`)
    return 0
  }
  const { session, ...tls } = entry
  let failure: string | undefined
  {
    await using edge = new EdgeClient(key, tls)
    try {
      const res = await edge.request('POST', '/v3/tokens?action=logout', { token: session.token })
      // 401: the token is already gone (expired or revoked), which is what logging out wants.
      if (res.status !== 200 && res.status !== 401) failure = errorMessage(res)
    } catch (e) {
      failure = (e as Error).message
    }
  }
  await updateServer(key, (e) => ({ ...(e.cacert ? { cacert: e.cacert } : {}), ...(e.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}) }))
  if (failure) {
    const until = session.expiresAt ? ` until ${session.expiresAt}` : ''
    throw new StartError(`forgot the session, but ${key} could not end it (${failure}): the token stays valid there${until}`)
  }
  process.stdout.write(`Logged out of ${key}.\n`)
  return 0
}
