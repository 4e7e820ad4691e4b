// The command line's own settings: one entry per edge the user logged in to, with the session token,
// in a file only its owner may read (0600). Untrusted on the way in: the file may be hand-edited.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import * as v from 'valibot'
import { StartError, UsageError } from '../usage.ts'

const sessionSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1)),
  /** RFC 3339; absent when the token does not expire. */
  expiresAt: v.optional(v.string()),
  provider: v.string(),
  userId: v.optional(v.string()),
  username: v.optional(v.string()),
})

const serverSchema = v.object({
  /** PEM of the CA that signed the edge's certificate (`--cacert`), kept so kubeconfigs can carry it. */
  cacert: v.optional(v.string()),
  insecureSkipTlsVerify: v.optional(v.boolean()),
  session: v.optional(sessionSchema),
})

const configSchema = v.object({
  servers: v.record(v.string(), serverSchema),
})

export type Session = v.InferOutput<typeof sessionSchema>
export type ServerEntry = v.InferOutput<typeof serverSchema>
export type CliConfig = v.InferOutput<typeof configSchema>

/** `DROVER_CONFIG`, else `$XDG_CONFIG_HOME/drover/config.json`, else `~/.config/drover/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_CONFIG) return env.DROVER_CONFIG
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'drover', 'config.json')
}

/**
 * The key an edge is stored under: scheme, host, port and path, without a trailing slash, query or
 * fragment, so `https://edge/` and `https://edge` are the same server.
 */
export function serverKey(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`the server must be a URL such as https://drover.example.com, not "${url}"`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`the server must be an http:// or https:// URL, not "${url}"`)
  if (parsed.username || parsed.password) throw new UsageError('the server URL may not carry a username or password')
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
}

/** Reads the file; a missing file is an empty config, a malformed one an error naming the file. */
export async function readConfig(path = configPath()): Promise<CliConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} }
    throw new StartError(`cannot read ${path}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new StartError(`${path} is not valid JSON; fix or delete it`)
  }
  const parsed = v.safeParse(configSchema, json)
  if (!parsed.success) throw new StartError(`${path} is not a drover command-line config (${parsed.issues[0].message}); fix or delete it`)
  return parsed.output
}

/**
 * Replaces the file atomically (a temporary file renamed over it), readable by its owner only: kubectl
 * may run several `drover token` at once, and none may see half a file.
 */
export async function writeConfig(config: CliConfig, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  await chmod(tmp, 0o600) // in case the umask or an odd filesystem left it wider
  await rename(tmp, path)
}

/** Reads, changes one server's entry (or removes it when `change` returns undefined), writes. */
export async function updateServer(key: string, change: (entry: ServerEntry) => ServerEntry | undefined, path = configPath()): Promise<void> {
  const config = await readConfig(path)
  const next = change(config.servers[key] ?? {})
  if (next) config.servers[key] = next
  else delete config.servers[key]
  await writeConfig(config, path)
}

/**
 * The server a command means: the one named, or else the only one with a session; several or none is
 * a usage error that says what to pass.
 */
export function chooseServer(config: CliConfig, given: string | undefined): string {
  if (given) return serverKey(given)
  const withSession = Object.keys(config.servers).filter((k) => config.servers[k]!.session)
  if (withSession.length === 1) return withSession[0]!
  if (!withSession.length) throw new StartError('not logged in to any server: run "drover login <url>" first')
  throw new UsageError(`logged in to several servers (${withSession.join(', ')}): say which with --server <url>`)
}

/** Sessions this close to their end are renewed when a person is there to log in again. */
export const RENEW_BEFORE_MS = 60_000

/** `valid`, `expiring` (within RENEW_BEFORE_MS) or `lapsed`; a session without an expiry stays valid. */
export function sessionState(session: Session, now = Date.now()): 'valid' | 'expiring' | 'lapsed' {
  if (!session.expiresAt) return 'valid'
  const end = Date.parse(session.expiresAt)
  if (!Number.isFinite(end) || end <= now) return 'lapsed'
  return end - now < RENEW_BEFORE_MS ? 'expiring' : 'valid'
}
