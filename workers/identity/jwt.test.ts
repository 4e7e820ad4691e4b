import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { ALGORITHM, audienceFor, ISSUER, signToken, tokenKeys, typFor, verifyToken, type TokenClaims } from './jwt.ts'

let keys: Awaited<ReturnType<typeof tokenKeys>>
let privateKey: CryptoKey
let oldKeys: Awaited<ReturnType<typeof tokenKeys>>

const claims: TokenClaims = { kind: 'session', name: 'token-abcde', userId: 'u-1', principalIds: ['local://u-1'], groups: [], username: 'alice', authProvider: 'local', expiresAt: Math.floor(Date.now() / 1000) + 3600 }

async function jwk(kid: string): Promise<{ jwk: JWK; key: CryptoKey }> {
  const pair = await generateKeyPair('ES256', { extractable: true })
  return { jwk: { ...(await exportJWK(pair.privateKey)), kid }, key: pair.privateKey as CryptoKey }
}

beforeAll(async () => {
  const current = await jwk('k2')
  const previous = await jwk('k1')
  privateKey = current.key
  keys = await tokenKeys(JSON.stringify([current.jwk, previous.jwk]))
  oldKeys = await tokenKeys(JSON.stringify([previous.jwk]))
})

/** A token built by hand, to forge each thing verification must refuse. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>) {
  return new SignJWT({ grp: [], pid: ['local://u-1'], usr: 'alice', prv: 'local', ims: Date.now(), ...payload })
    .setProtectedHeader({ alg: ALGORITHM, kid: 'k2', typ: typFor('session'), ...header } as never)
    .setIssuer(ISSUER)
    .setAudience(audienceFor('session'))
    .setSubject('u-1')
    .setJti('token-abcde')
    .setIssuedAt()
    .setExpirationTime('1h')
}

const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')

describe('token JWTs', () => {
  it('round-trips the claims of each kind', async () => {
    for (const kind of ['session', 'api-key', 'kubeconfig'] as const) {
      const jwt = await signToken(keys, { ...claims, kind, clusterId: 'c-1' })
      expect(await verifyToken(keys, jwt)).toEqual({ ...claims, kind, clusterId: 'c-1', issuedAtMs: expect.any(Number) })
    }
  })

  it('verifies with a rotated-out key until it is removed', async () => {
    const jwt = await signToken(oldKeys, claims)
    expect(await verifyToken(keys, jwt)).not.toBeNull()
    const rotated = await tokenKeys(JSON.stringify([(await jwk('k3')).jwk]))
    expect(await verifyToken(rotated, jwt)).toBeNull()
  })

  it('refuses alg:none', async () => {
    const unsigned = `${b64({ alg: 'none', typ: typFor('session'), kid: 'k2' })}.${b64({ iss: ISSUER, aud: audienceFor('session'), sub: 'u-1', jti: 'token-abcde', iat: 1, exp: 9999999999, grp: [], pid: [], usr: 'a', prv: 'local' })}.`
    expect(await verifyToken(keys, unsigned)).toBeNull()
  })

  it('refuses a token of one kind presented as another (typ and aud disagree)', async () => {
    const wrongAud = await forge({}, {}).setAudience(audienceFor('api-key')).sign(privateKey)
    expect(await verifyToken(keys, wrongAud)).toBeNull()
    const wrongTyp = await forge({ typ: 'JWT' }, {}).sign(privateKey)
    expect(await verifyToken(keys, wrongTyp)).toBeNull()
    const wrongIss = await forge({}, {}).setIssuer('someone-else').sign(privateKey)
    expect(await verifyToken(keys, wrongIss)).toBeNull()
  })

  it('refuses expired tokens beyond the clock tolerance, and a session token without exp', async () => {
    const expired = await forge({}, {}).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(privateKey)
    expect(await verifyToken(keys, expired)).toBeNull()
    const noExp = await new SignJWT({ grp: [], pid: [], usr: 'a', prv: 'local', ims: Date.now() })
      .setProtectedHeader({ alg: ALGORITHM, kid: 'k2', typ: typFor('session') }).setIssuer(ISSUER).setAudience(audienceFor('session')).setSubject('u-1').setJti('token-abcde').setIssuedAt().sign(privateKey)
    expect(await verifyToken(keys, noExp)).toBeNull()
  })

  it('refuses an unknown kid, a foreign key, a tampered payload and junk', async () => {
    expect(await verifyToken(keys, await forge({ kid: 'nope' }, {}).sign(privateKey))).toBeNull()
    expect(await verifyToken(keys, await forge({}, {}).sign((await jwk('k2')).key))).toBeNull()
    const good = await signToken(keys, claims)
    const [h, , s] = good.split('.')
    expect(await verifyToken(keys, `${h}.${b64({ sub: 'u-admin' })}.${s}`)).toBeNull()
    for (const junk of ['', 'a.b.c', 'x'.repeat(10_000), `${h}.${h}`]) expect(await verifyToken(keys, junk)).toBeNull()
  })

  it('refuses claims of the wrong shape', async () => {
    expect(await verifyToken(keys, await forge({}, {}).sign(privateKey))).not.toBeNull()
    expect(await verifyToken(keys, await forge({}, { ims: 'yesterday' }).sign(privateKey))).toBeNull()
    expect(await verifyToken(keys, await forge({}, { grp: 'admins' }).sign(privateKey))).toBeNull()
    expect(await verifyToken(keys, await forge({}, { cid: 7 }).sign(privateKey))).toBeNull()
  })

  it('refuses a non-P-256 or public-only key table', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    await expect(tokenKeys(JSON.stringify([{ ...(await exportJWK(pair.publicKey)), kid: 'pub' }]))).rejects.toThrow(/private P-256/)
    await expect(tokenKeys('[]')).rejects.toThrow(/non-empty/)
  })
})
