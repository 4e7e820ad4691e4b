import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../errors.ts'
import { jsonBody } from './body.ts'

// Issue 10, finding 5: an HTML form on another site can post text/plain, form or multipart bodies without
// a preflight; none of them may be read as JSON.
// Bytes, not a string: a string body would be given a text/plain content type by the Request constructor.
const post = (body: string | null, headers: Record<string, string> = {}) =>
  new Request('https://edge.test/v3/x', { method: 'POST', headers, body: body === null ? null : new TextEncoder().encode(body) })

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => null, (e: unknown) => e)
  expect(e).toBeInstanceOf(ApiError)
  return e as ApiError
}

describe('jsonBody requires a JSON content type', () => {
  it('refuses text/plain, form and multipart bodies with 415, whatever they contain', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'text/json']) {
      const e = await refusal(jsonBody(post('{"name":"x"}', { 'content-type': type })))
      expect(e.status).toBe(415)
      expect(e.code).toBe('UnsupportedMediaType')
      expect(e.message).toMatch(/must be JSON sent as Content-Type: application\/json/)
    }
  })

  it('refuses a body without a content type, but takes an empty one (an action with no input)', async () => {
    const e = await refusal(jsonBody(post('{"name":"x"}')))
    expect(e.status).toBe(415)
    expect(e.message).toMatch(/got no Content-Type/)
    expect(await jsonBody(post(null))).toEqual({})
  })

  it('accepts application/json with parameters, in any case, and +json types', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json', 'application/vnd.rancher+json;v=3']) {
      expect(await jsonBody(post('{"name":"x"}', { 'content-type': type }))).toEqual({ name: 'x' })
    }
  })
})

describe('the edge answers a non-JSON body with a Rancher 415', () => {
  it('at login, where a cross-site text/plain form post used to parse as JSON', async () => {
    const res = await SELF.fetch('https://edge.test/v3-public/localProviders/local?action=login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ username: 'admin' }),
    })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ type: 'error', status: 415, code: 'UnsupportedMediaType' })
  })

  it('on authenticated /v3 writes', async () => {
    const res = await SELF.fetch('https://edge.test/v3/clusterregistrationtokens', {
      method: 'POST',
      headers: { authorization: 'Bearer token-all:secret', 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"clusterId":"c-one"}',
    })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ type: 'error', status: 415, code: 'UnsupportedMediaType' })
  })
})
