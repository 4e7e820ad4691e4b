// Logging in to an edge: which providers it offers, which of them the command line can use, and the
// username/password exchange for a session token (Rancher's `?action=login` with `responseType: "json"`).
import * as v from 'valibot'
import { StartError, UsageError } from '../usage.ts'
import type { Session } from './config.ts'
import { browserLogin } from './browser-login.ts'
import { errorMessage, type EdgeClient } from './edge-client.ts'
import { canPrompt, promptHidden, promptLine, readStdin } from './prompt.ts'

/** Provider types whose login takes `{username, password}` (local, and the directory providers). */
export const PASSWORD_PROVIDER_TYPES: ReadonlySet<string> = new Set(['localProvider', 'openLdapProvider', 'freeIpaProvider', 'activeDirectoryProvider'])

export interface ProviderEntry {
  id: string
  /** Norman type, e.g. `localProvider`, `genericOIDCProvider`. */
  type: string
}

const providersSchema = v.object({
  data: v.array(v.object({ id: v.pipe(v.string(), v.regex(/^[a-zA-Z0-9-]{1,63}$/)), type: v.pipe(v.string(), v.regex(/^[a-zA-Z]{1,63}$/)) })),
})

const loginAnswerSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1)),
  expiresAt: v.optional(v.nullable(v.string())),
  userId: v.optional(v.nullable(v.string())),
  authProvider: v.optional(v.nullable(v.string())),
})

export async function listProviders(edge: EdgeClient): Promise<ProviderEntry[]> {
  const res = await edge.request('GET', '/v3-public/authProviders')
  if (res.status !== 200) throw new StartError(`${edge.server} did not list its login providers: ${errorMessage(res)}`)
  const parsed = v.safeParse(providersSchema, res.body)
  if (!parsed.success) throw new StartError(`${edge.server} does not look like a drover or Rancher server: /v3-public/authProviders answered something else`)
  return parsed.output.data
}

/**
 * The provider to log in with: the one asked for, the only one enabled, or the user's choice on the
 * terminal; several and no terminal is a usage error naming them.
 */
export async function chooseProvider(providers: ProviderEntry[], wanted: string | undefined, server: string): Promise<ProviderEntry> {
  const ids = providers.map((p) => p.id).join(', ')
  if (wanted) {
    const found = providers.find((p) => p.id === wanted)
    if (!found) throw new StartError(`login provider "${wanted}" is not enabled on ${server}; enabled: ${ids || 'none'}`)
    return found
  }
  if (providers.length === 1) return providers[0]!
  if (!providers.length) throw new StartError(`${server} lists no enabled login provider`)
  if (!canPrompt()) throw new UsageError(`${server} has several login providers (${ids}): choose one with --provider`)
  process.stderr.write(providers.map((p, i) => `  ${i + 1}) ${p.id}\n`).join(''))
  const answer = await promptLine(`Log in with [1-${providers.length}]: `)
  const chosen = providers[Number(answer) - 1] ?? providers.find((p) => p.id === answer)
  if (!chosen) throw new StartError(`"${answer}" is none of the providers listed`)
  return chosen
}

export interface Credentials {
  username?: string | undefined
  /** Read the password from stdin rather than asking on the terminal. */
  passwordStdin?: boolean | undefined
}

/** Username and password from the flags, stdin or the terminal; what cannot be had is a clear error. */
export async function gatherCredentials(creds: Credentials): Promise<{ username: string; password: string }> {
  let username = creds.username
  if (!username) {
    if (creds.passwordStdin || !canPrompt()) throw new UsageError('give the username with --username (stdin is not a terminal to ask on)')
    username = await promptLine('Username: ')
    if (!username) throw new StartError('no username given')
  }
  const password = creds.passwordStdin ? await readStdin() : await promptHidden('Password: ')
  if (!password) throw new StartError('no password given')
  return { username, password }
}

/** Where a provider takes logins: Rancher's public collection is its type in the plural (localProvider → localProviders). */
export function loginPath(provider: ProviderEntry): string {
  return `/v3-public/${provider.type}s/${encodeURIComponent(provider.id)}?action=login`
}

/** Exchanges username and password for a session token; a refusal is a StartError with the edge's reason. */
export async function passwordLogin(edge: EdgeClient, provider: ProviderEntry, username: string, password: string): Promise<Session> {
  if (!PASSWORD_PROVIDER_TYPES.has(provider.type)) throw new StartError(`${provider.id} logs in through a web browser, not with a password`)
  const res = await edge.request('POST', loginPath(provider), { body: { username, password, responseType: 'json', description: 'drover command line' } })
  if (res.status === 401 || res.status === 403) throw new StartError(`login to ${edge.server} failed: ${errorMessage(res)}`)
  if (res.status !== 200 && res.status !== 201) throw new StartError(`login to ${edge.server} failed (${res.status}): ${errorMessage(res)}`)
  const parsed = v.safeParse(loginAnswerSchema, res.body)
  if (!parsed.success) throw new StartError(`${edge.server} answered the login without a token`)
  const a = parsed.output
  return {
    token: a.token,
    provider: a.authProvider || provider.id,
    username,
    ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
    ...(a.userId ? { userId: a.userId } : {}),
  }
}

/** The whole login: provider, credentials, exchange. `wantedProvider` may be the one a lapsed session used. */
export async function logIn(edge: EdgeClient, wantedProvider: string | undefined, creds: Credentials): Promise<Session> {
  const provider = await chooseProvider(await listProviders(edge), wantedProvider, edge.server)
  if (!PASSWORD_PROVIDER_TYPES.has(provider.type)) {
    if (creds.passwordStdin || creds.username) throw new StartError(`${provider.id} logs in through a web browser: leave out --username and --password-stdin`)
    return browserLogin(edge, provider.id)
  }
  const { username, password } = await gatherCredentials(creds)
  return passwordLogin(edge, provider, username, password)
}
