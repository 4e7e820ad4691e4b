import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

// The body's bytes against the manifest's checksum are checked through the real stack
// (test/agent-ca-pinning.test.ts); here: the route is public and says when there is no CA.
describe('GET /cacerts in workerd', () => {
  it('needs no credential and answers 404 with a Rancher error while the cacerts setting is empty', async () => {
    const res = await SELF.fetch('https://edge.test/cacerts')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ type: 'error', status: 404, code: 'NotFound', message: 'no CA is configured: the cacerts setting is empty' })
  })
})
