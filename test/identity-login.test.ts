import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

let stack: MgmtStack

beforeAll(async () => {
  stack = await mgmtStack('id-login', { adminPassword: 'correct-horse-battery' })
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
})

describe('local login against a real management cluster', () => {
  it('logs the bootstrap admin in and returns Rancher token JSON', async () => {
    const res = await stack.api().post<Record<string, unknown>>('/v3-public/localProviders/local?action=login', { username: 'admin', password: 'correct-horse-battery', responseType: 'json' })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ type: 'token', authProvider: 'local', userId: stack.admin.userId, isDerived: false })
    expect(String(res.body.token)).toMatch(/^token-[a-z0-9]{5}:/)
    const me = await stack.api(String(res.body.token)).get<{ data: { id: string; username: string }[] }>('/v3/users?me=true')
    expect(me.status).toBe(200)
    expect(me.body.data[0]).toMatchObject({ id: stack.admin.userId, username: 'admin' })
  })

  it('refuses a wrong password with a Rancher error body', async () => {
    const res = await stack.api().post('/v3-public/localProviders/local?action=login', { username: 'admin', password: 'wrong-password-here', responseType: 'json' })
    expect(res.status, JSON.stringify(res.body)).toBe(401)
    expect(res.body).toMatchObject({ type: 'error', status: 401, code: 'Unauthorized' })
  })
})
