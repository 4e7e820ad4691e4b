import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../../errors.ts'
import { clearJwksCache, JWKS_COOLDOWN_MS, JWKS_RETRY_MS, JWKS_STALE_MAX_MS, jwksFetch } from './jwks.ts'

const URI = 'https://idp.test/jwks'
const init = { headers: {}, method: 'GET', redirect: 'manual' as const }

/** A provider's JWKS endpoint whose answer the test sets; it counts requests. */
function provider() {
  const p = {
    hits: 0,
    answer: (): Response | Promise<Response> => new Response(JSON.stringify({ keys: [{ kid: `k${p.hits}` }] }), { status: 200 }),
    fetch: (async () => {
      p.hits++
      return p.answer()
    }) as unknown as typeof fetch,
  }
  return p
}

describe('the OIDC provider JWKS fetch', () => {
  afterEach(() => clearJwksCache())
  let t = 1_000_000
  const now = () => t

  it('asks the provider at most once per cooldown, and once for concurrent callers', async () => {
    const idp = provider()
    const get = jwksFetch(URI, idp.fetch, now)
    const bodies = await Promise.all(Array.from({ length: 10 }, async () => (await get(URI, init)).text()))
    expect(idp.hits).toBe(1)
    expect(new Set(bodies).size).toBe(1)
    t += JWKS_COOLDOWN_MS - 1
    await get(URI, init)
    expect(idp.hits).toBe(1)
    t += 1
    expect(await (await get(URI, init)).json()).toEqual({ keys: [{ kid: 'k2' }] })
    expect(idp.hits).toBe(2)
  })

  it('keeps the last good keys while the provider fails, up to their age limit, and retries only after a pause', async () => {
    const idp = provider()
    const get = jwksFetch(URI, idp.fetch, now)
    const good = await (await get(URI, init)).text()
    idp.answer = () => new Response('down', { status: 503 })
    t += JWKS_COOLDOWN_MS
    expect(await (await get(URI, init)).text()).toBe(good)
    expect(idp.hits).toBe(2)
    t += JWKS_RETRY_MS - 1
    expect(await (await get(URI, init)).text()).toBe(good)
    expect(idp.hits).toBe(2)
    t += JWKS_STALE_MAX_MS
    const err = await get(URI, init).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 502, message: expect.stringContaining('HTTP 503') })
    expect(idp.hits).toBe(3)
  })

  it('fails clearly without keys, and does not ask again for every caller', async () => {
    const idp = provider()
    idp.answer = () => Promise.reject(new TypeError('fetch failed'))
    const get = jwksFetch(URI, idp.fetch, now)
    for (let i = 0; i < 5; i++) await expect(get(URI, init)).rejects.toMatchObject({ status: 502, message: expect.stringContaining('unreachable') })
    expect(idp.hits).toBe(1)
    t += JWKS_RETRY_MS
    idp.answer = () => new Response('{"keys":[]}', { status: 200 })
    expect(await (await get(URI, init)).text()).toBe('{"keys":[]}')
    expect(idp.hits).toBe(2)
  })

  it('refuses an oversized key set', async () => {
    const idp = provider()
    idp.answer = () => new Response('x'.repeat(300 * 1024), { status: 200 })
    await expect(jwksFetch(URI, idp.fetch, now)(URI, init)).rejects.toMatchObject({ status: 502, message: expect.stringContaining('too large') })
  })
})
