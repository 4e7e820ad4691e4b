import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

describe('edge worker in workerd', () => {
  it('answers /ping', async () => {
    const res = await SELF.fetch('https://edge.test/ping')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('pong')
  })

  it('gives unknown paths a Rancher-style 404 body', async () => {
    const res = await SELF.fetch('https://edge.test/nothing-here', { method: 'POST' })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    expect(await res.json()).toEqual({
      type: 'error',
      status: 404,
      code: 'NotFound',
      message: 'no route for POST /nothing-here',
    })
  })
})
