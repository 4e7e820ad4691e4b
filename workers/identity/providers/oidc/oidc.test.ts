import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../errors.ts'
import { signToken, tokenKeys, verifyToken } from '../../jwt.ts'
import { issuerProblem, settingsOf, type AuthConfigObject } from './config.ts'
import { FLOW_TTL_S, openFlow, sealFlow, type Flow } from './flow-cookie.ts'
import { safeRedirect } from './login.ts'
import { accessAllowed, groupNames } from './subject.ts'

const keys = env.DROVER_TOKEN_KEYS
const flow: Flow = { state: 's1', nonce: 'n1', verifier: 'v'.repeat(43), redirect: '/home', redirectUri: 'https://edge.test/cb' }

describe('the OIDC flow cookie', () => {
  it('round-trips, and hides what it carries', async () => {
    const sealed = await sealFlow(keys, flow)
    expect(sealed).not.toContain(flow.verifier)
    expect(sealed.split('.')).toHaveLength(5) // a JWE, never a JWS
    expect(await openFlow(keys, sealed)).toEqual(flow)
  })

  it('is refused when tampered with, expired, missing or another kind of JWT', async () => {
    const now = Date.now()
    const sealed = await sealFlow(keys, flow, now)
    const parts = sealed.split('.')
    parts[3] = parts[3]!.slice(0, -2) + (parts[3]!.endsWith('AA') ? 'BB' : 'AA')
    expect(await openFlow(keys, parts.join('.'))).toBeNull()
    expect(await openFlow(keys, sealed, now + (FLOW_TTL_S + 60) * 1000)).toBeNull()
    expect(await openFlow(keys, undefined)).toBeNull()
    expect(await openFlow(keys, 'garbage')).toBeNull()
    const token = await signToken(await tokenKeys(keys), { kind: 'session', name: 'token-abcde', userId: 'u-1', principalIds: [], groups: [], username: 'u', authProvider: 'local', expiresAt: Math.floor(now / 1000) + 60 })
    expect(await openFlow(keys, token)).toBeNull()
    // …and a flow cookie is never a token.
    expect(await verifyToken(await tokenKeys(keys), sealed)).toBeNull()
  })
})

describe('login redirects', () => {
  it('keep same-origin paths', () => {
    expect(safeRedirect(undefined)).toBe('/')
    expect(safeRedirect('/dashboard/c/local?x=1#y')).toBe('/dashboard/c/local?x=1#y')
  })

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\nx', 'relative'])('refuse %j', (value) => {
    expect(() => safeRedirect(value)).toThrow(ApiError)
  })
})

describe('claims and settings', () => {
  it('reads the groups claim as an array or a single string, deduplicated', () => {
    expect(groupNames({ sub: 'a', groups: ['b', 'a', 'b', 3] }, 'groups')).toEqual(['a', 'b'])
    expect(groupNames({ sub: 'a', roles: 'ops' }, 'roles')).toEqual(['ops'])
    expect(groupNames({ sub: 'a' }, 'groups')).toEqual([])
    expect(() => groupNames({ sub: 'a', groups: ['x'.repeat(300)] }, 'groups')).toThrow(ApiError)
  })

  it('applies access modes', () => {
    const base = settingsOf({ metadata: { name: 'genericoidc' } } as AuthConfigObject)
    expect(base).toMatchObject({ enabled: false, scope: 'openid profile email', groupsClaim: 'groups', accessMode: 'unrestricted' })
    expect(accessAllowed(base, ['genericoidc_user://x'])).toBe(true)
    const restricted = { ...base, accessMode: 'restricted' as const, allowedPrincipalIds: ['genericoidc_group://devs'] }
    expect(accessAllowed(restricted, ['genericoidc_user://x'])).toBe(false)
    expect(accessAllowed(restricted, ['genericoidc_user://x', 'genericoidc_group://devs'])).toBe(true)
  })

  it('accepts https issuers, and plain http only on loopback', () => {
    expect(issuerProblem('https://login.example.com/realms/x')).toBeNull()
    expect(issuerProblem('http://127.0.0.1:5556')).toBeNull()
    expect(issuerProblem('http://localhost:5556/dex')).toBeNull()
    expect(issuerProblem('http://login.example.com')).not.toBeNull()
    expect(issuerProblem('https://login.example.com/?a=b')).not.toBeNull()
    expect(issuerProblem('not a url')).not.toBeNull()
  })
})
