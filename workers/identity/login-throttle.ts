import type { ThrottleScope } from '../../objects/auth/throttle.ts'
import type { Bindings } from '../env.ts'
import { ApiError } from '../errors.ts'
import { usernameHash } from './providers/local/users.ts'

type Env = Pick<Bindings, 'THROTTLE'>

/**
 * The client address as Cloudflare reports it (Workers overwrite any value a client sends); undefined
 * where no edge sets it (a local runtime). Then no client-keyed throttle applies: one shared "unknown"
 * key would let any client lock every other one out.
 */
export function clientAddress(req: Request): string | undefined {
  return req.headers.get('cf-connecting-ip') || undefined
}

/** The throttle keys of one login attempt: pair, client and account; the account alone for an unknown client. */
export async function loginKeys(username: string, client: string | undefined): Promise<[ThrottleScope, string][]> {
  const account = await usernameHash(username)
  if (client === undefined) return [['account', `account:${account}`]]
  return [['pair', `pair:${account}|${client}`], ['client', `client:${client}`], ['account', `account:${account}`]]
}

const stub = (env: Env, key: string) => env.THROTTLE.get(env.THROTTLE.idFromName(key))

/** Throws 429 with Retry-After while any key is delayed. */
export async function assertNotThrottled(env: Env, keys: [ThrottleScope, string][], now = Date.now()): Promise<void> {
  const waits = await Promise.all(keys.map(([, key]) => stub(env, key).check(now)))
  const wait = Math.max(...waits)
  if (wait > 0) throw new ThrottledError(wait)
}

export async function recordLoginFailure(env: Env, keys: [ThrottleScope, string][], now = Date.now()): Promise<void> {
  await Promise.all(keys.map(([scope, key]) => stub(env, key).failed(scope, now)))
}

/** A success clears the account's counters, not the client's: one good password does not buy more guesses. */
export async function recordLoginSuccess(env: Env, keys: [ThrottleScope, string][]): Promise<void> {
  await Promise.all(keys.filter(([scope]) => scope !== 'client').map(([, key]) => stub(env, key).succeeded()))
}

export class ThrottledError extends ApiError {
  constructor(wait: number) {
    super(429, `too many failed logins: try again in ${Math.ceil(wait / 1000)} s`, 'TooManyRequests')
    this.retryAfterMs = wait
  }
}
