// The OpenID provider's signing keys (its JWKS), as the edge asks for them. oauth4webapi verifies the ID
// token's signature and keeps the keys it was given; it asks again through `customFetch` when they are
// five minutes old, or when a token names a `kid` they lack and they are a minute old. Left alone it then
// drops what it had before asking, asks once per token when tokens come concurrently, and finds nothing
// when the provider is down. This file answers those requests instead: one request to the provider at a
// time and at most one per cooldown per isolate, the last good keys while the provider cannot be reached,
// and a clear error only when there are none.
import { ApiError } from '../../../errors.ts'
import { readAtMost } from '../../../read-limited.ts'
import { PROVIDER } from './config.ts'

/** The provider is asked for its keys at most this often (as jose's createRemoteJWKSet's cooldown). */
export const JWKS_COOLDOWN_MS = 30_000
/** After a failed request, the next one waits this long: a flood of logins does not become a flood of requests. */
export const JWKS_RETRY_MS = 5_000
/** The last good keys are used this long after they were fetched while the provider cannot be reached. */
export const JWKS_STALE_MAX_MS = 60 * 60_000
/** A key set larger than this is refused (a JWKS holds a handful of keys). */
const MAX_JWKS_BYTES = 256 * 1024

interface Entry {
  /** The last key set the provider served, as it served it. */
  body?: string
  fetchedAt: number
  triedAt: number
  failed?: ApiError
  inflight?: Promise<string>
}

const entries = new Map<string, Entry>()

type FetchLike = (url: string, init: { headers: Record<string, string>; method: string; redirect: 'manual'; signal?: AbortSignal }) => Promise<Response>

const unreachable = (why: string) => new ApiError(502, `the OpenID provider of ${PROVIDER} did not serve its signing keys (JWKS): ${why}; try again later`, 'BadGateway')

const keySet = (body: string) => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })

async function download(url: string, init: Parameters<FetchLike>[1], fetcher: typeof fetch): Promise<string> {
  let res: Response
  try {
    res = await fetcher(url, init)
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') throw unreachable('it did not answer in time')
    console.warn(`${PROVIDER}: fetching the provider's JWKS failed: ${String(err)}`)
    throw unreachable('it is unreachable')
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel()
    throw unreachable(`it answered HTTP ${res.status}`)
  }
  const bytes = await readAtMost(res.body, MAX_JWKS_BYTES)
  if (!bytes) throw unreachable('the key set is too large')
  return new TextDecoder().decode(bytes)
}

/** The cached key set, unless a failure since makes it stale past use; else the failure. */
function answer(entry: Entry, t: number): string {
  if (entry.body && (!entry.failed || t - entry.fetchedAt < JWKS_STALE_MAX_MS)) return entry.body
  throw entry.failed ?? unreachable('no key set yet')
}

async function refresh(entry: Entry, url: string, init: Parameters<FetchLike>[1], fetcher: typeof fetch, now: () => number): Promise<string> {
  entry.triedAt = now()
  try {
    entry.body = await download(url, init, fetcher)
    entry.fetchedAt = now()
    entry.failed = undefined
    return entry.body
  } catch (err) {
    // The pause before the next attempt counts from the failure: a request that hung for its whole deadline
    // must not be followed at once by another.
    entry.triedAt = now()
    entry.failed = err instanceof ApiError ? err : unreachable('it is unreachable')
    const body = answer(entry, now())
    console.warn(`${PROVIDER}: the provider's JWKS could not be fetched (${entry.failed.message}); using the keys fetched ${Math.round((now() - entry.fetchedAt) / 1000)} s ago`)
    return body
  }
}

/**
 * oauth4webapi's `customFetch` for the JWKS request of the provider whose keys live at `jwksUri`: within
 * the cooldown (shorter after a failure) the cached key set or the last failure; else one request shared
 * by every caller meanwhile, answered by the cached key set (if not too old) when it fails.
 */
export function jwksFetch(jwksUri: string, fetcher: typeof fetch = (input, init) => fetch(input, init), now: () => number = Date.now): FetchLike {
  return async (url, init) => {
    if (url !== jwksUri) return fetcher(url, init)
    let entry = entries.get(url)
    if (!entry) {
      if (entries.size >= 100) entries.clear()
      entry = { fetchedAt: 0, triedAt: 0 }
      entries.set(url, entry)
    }
    const t = now()
    const wait = entry.failed ? JWKS_RETRY_MS : JWKS_COOLDOWN_MS
    if (!entry.inflight && t - entry.triedAt < wait && (entry.body || entry.failed)) return keySet(answer(entry, t))
    const e = entry
    e.inflight ??= refresh(e, url, init, fetcher, now).finally(() => (e.inflight = undefined))
    return keySet(await e.inflight)
  }
}

/** For tests: forget every provider's keys. */
export function clearJwksCache(): void {
  entries.clear()
}
