import { parseArgs } from 'node:util'
import { readConfig, serverKey, sessionState, updateServer, type Session } from './session/config.ts'
import { EdgeClient } from './session/edge-client.ts'
import { logIn } from './session/log-in.ts'
import { canPrompt } from './session/prompt.ts'
import { StartError, UsageError } from './usage.ts'

const EXEC_API_VERSION = 'client.authentication.k8s.io/v1'

/**
 * Whether a person can answer a login prompt: what kubectl says in KUBERNETES_EXEC_INFO
 * (`spec.interactive`), else whether stdin is a terminal (run by hand).
 */
export function isInteractive(execInfo: string | undefined, stdinIsTty: boolean): boolean {
  if (!execInfo) return stdinIsTty
  try {
    const info = JSON.parse(execInfo) as { spec?: { interactive?: unknown } }
    return info.spec?.interactive === true
  } catch {
    return false
  }
}

/** The ExecCredential kubectl reads from stdout; kubectl keeps it until `expirationTimestamp`. */
export function execCredential(session: Session): string {
  return `${JSON.stringify({
    apiVersion: EXEC_API_VERSION,
    kind: 'ExecCredential',
    status: { token: session.token, ...(session.expiresAt ? { expirationTimestamp: new Date(session.expiresAt).toISOString() } : {}) },
  })}\n`
}

/**
 * `drover token --server URL [--cluster ID]`: the kubectl credential plugin. Prints the stored session
 * as an ExecCredential; a lapsed (or nearly lapsed) session is renewed by logging in again on the
 * terminal when kubectl lets the plugin ask, else it fails telling the user to run `drover login`.
 * stdout carries the credential and nothing else; questions and errors go to stderr.
 */
export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { server: { type: 'string' }, cluster: { type: 'string' } } })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  if (!values.server) throw new UsageError('token needs --server <url>')
  if (values.cluster !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(values.cluster)) throw new UsageError(`--cluster must be a cluster id, not "${values.cluster}"`)
  const server = serverKey(values.server)
  const entry = (await readConfig()).servers[server] ?? {}
  const state = entry.session ? sessionState(entry.session) : 'lapsed'
  const interactive = isInteractive(process.env.KUBERNETES_EXEC_INFO, canPrompt())

  if (entry.session && (state === 'valid' || (state === 'expiring' && !interactive))) {
    process.stdout.write(execCredential(entry.session))
    return 0
  }
  if (!interactive) {
    const why = entry.session ? `the drover session for ${server} has expired` : `not logged in to ${server}`
    throw new StartError(`${why}: run "drover login ${server}"`)
  }
  process.stderr.write(entry.session ? `The drover session for ${server} has expired; log in again.\n` : `Log in to ${server}.\n`)
  const { session: _old, ...tls } = entry
  await using edge = new EdgeClient(server, tls)
  const session = await logIn(edge, entry.session?.provider, {})
  await updateServer(server, (e) => ({ ...e, session }))
  process.stdout.write(execCredential(session))
  return 0
}
