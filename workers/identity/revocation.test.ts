import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../env.ts'
import { signToken, tokenKeys } from './jwt.ts'

const bindings: Bindings = env
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
/** A route only the runner may call: 403 says the credential was accepted, 401 that it was refused. */
const whoami = (t: string) => SELF.fetch('https://edge.test/v3/system/tokens/token-nomatter', { method: 'DELETE', headers: bearer(t) })
const revokeUser = (id: string, credential = bindings.DROVER_RUNNER_TOKEN!) =>
  SELF.fetch(`https://edge.test/v3/system/users/${id}/tokens`, { method: 'DELETE', headers: bearer(credential) })

async function token(name: string, userId: string, issuedAtMs = Date.now()): Promise<string> {
  const keys = await tokenKeys(bindings.DROVER_TOKEN_KEYS)
  const jwt = await signToken(keys, { kind: 'api-key', name, userId, principalIds: [`local://${userId}`], groups: [], username: userId, authProvider: 'local', issuedAtMs })
  return `${name}:${jwt}`
}

describe('revocation of every token of a user', () => {
  it('refuses all tokens the user was issued until then, with or without a Token CR, and none issued later', async () => {
    const first = await token('token-usra1', 'u-revoked1')
    const second = await token('token-usra2', 'u-revoked1')
    const other = await token('token-usrb1', 'u-bystander')
    for (const t of [first, second, other]) expect((await whoami(t)).status).toBe(403)

    const res = await revokeUser('u-revoked1')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revokedUser: 'u-revoked1' })

    expect((await whoami(first)).status).toBe(401)
    expect((await whoami(second)).status).toBe(401)
    expect((await whoami(other)).status).toBe(403)
    // A login after the user is enabled again: a later point in time, not affected.
    await new Promise((r) => setTimeout(r, 5))
    expect((await whoami(await token('token-usra3', 'u-revoked1'))).status).toBe(403)
    expect((await whoami(first)).status).toBe(401)
  })

  it('is a call only the runner may make, for a well-formed user id', async () => {
    const user = await token('token-usrc1', 'u-caller')
    expect((await revokeUser('u-caller', user)).status).toBe(403)
    expect((await whoami(user)).status).toBe(403)
    expect((await revokeUser('Not_A_Name')).status).toBe(422)
    expect((await SELF.fetch('https://edge.test/v3/system/users/u-x/tokens', { method: 'DELETE' })).status).toBe(401)
  })
})
