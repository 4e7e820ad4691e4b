import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../errors.ts'
import { openFlowClaims, sealFlowClaims } from '../../flow-cookie.ts'
import type { AuthConfigObject } from '../../provider.ts'
import { nextLink } from './client.ts'
import { authorizeUrl, endpoints, hostnameProblem, settingsOf } from './config.ts'
import { validate } from './config-write.ts'
import { groupPrincipals } from './subject.ts'

const cr = (fields: Partial<AuthConfigObject>) => ({ apiVersion: 'management.cattle.io/v3', kind: 'AuthConfig', metadata: { name: 'github' }, ...fields }) as AuthConfigObject

describe('github hostnames', () => {
  it.each(['github.com', 'github.example.com', 'GHE.Example.com', 'ghe.example.com:8443', '127.0.0.1:4000'])('accept %j over TLS', (host) => {
    expect(hostnameProblem(host, true)).toBeNull()
  })

  it.each(['https://github.com', 'github.com/path', 'user@github.com', 'user:pw@github.com', 'github.com?x=1', 'github.com#x', 'git hub.com', '', '-bad.example', 'github.com:99999', 'github.com:0', 'a'.repeat(300)])('refuse %j', (host) => {
    expect(hostnameProblem(host, true)).not.toBeNull()
  })

  it('allow tls: false only for loopback hosts', () => {
    expect(hostnameProblem('127.0.0.1:4000', false)).toBeNull()
    expect(hostnameProblem('localhost:4000', false)).toBeNull()
    expect(hostnameProblem('[::1]:4000', false)).toBeNull()
    expect(hostnameProblem('github.com', false)).toMatch(/HTTPS/)
    expect(hostnameProblem('ghe.example.com', false)).toMatch(/HTTPS/)
    expect(hostnameProblem('127.0.0.1.example.com', false)).not.toBeNull()
  })
})

describe('github settings and endpoints', () => {
  it('default to github.com over TLS, unrestricted, disabled', () => {
    expect(settingsOf(cr({}))).toEqual({ enabled: false, hostname: 'github.com', tls: true, clientId: '', clientSecretRef: '', accessMode: 'unrestricted', allowedPrincipalIds: [] })
  })

  it('use api.github.com for github.com and /api/v3 for GitHub Enterprise', () => {
    expect(endpoints({ hostname: 'github.com', tls: true })).toEqual({ web: 'https://github.com', api: 'https://api.github.com' })
    expect(endpoints({ hostname: 'ghe.example.com', tls: true })).toEqual({ web: 'https://ghe.example.com', api: 'https://ghe.example.com/api/v3' })
    expect(endpoints({ hostname: '127.0.0.1:4000', tls: false })).toEqual({ web: 'http://127.0.0.1:4000', api: 'http://127.0.0.1:4000/api/v3' })
  })

  it("give Rancher's redirectUrl: the authorize URL with the client id", () => {
    expect(authorizeUrl(settingsOf(cr({ clientId: 'Iv1.abc&x' })))).toBe('https://github.com/login/oauth/authorize?client_id=Iv1.abc%26x')
  })
})

describe('github config validation', () => {
  const fail = (fields: Partial<AuthConfigObject>) => {
    try {
      validate(cr(fields))
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError)
      return (err as ApiError).message
    }
    return null
  }

  it('needs a client id and secret only to enable', () => {
    expect(fail({ enabled: false })).toBeNull()
    expect(fail({ enabled: true, clientSecret: 'cattle-global-data:github-client-secret' })).toMatch(/clientId/)
    expect(fail({ enabled: true, clientId: 'x' })).toMatch(/clientSecret/)
    expect(fail({ enabled: true, clientId: 'x', clientSecret: 'cattle-global-data:github-client-secret' })).toBeNull()
  })

  it('refuses a hostname with a scheme, and plain HTTP to a non-loopback host', () => {
    expect(fail({ hostname: 'https://github.com' })).toMatch(/bare host/)
    expect(fail({ hostname: 'ghe.example.com', tls: false })).toMatch(/HTTPS/)
    expect(fail({ hostname: '127.0.0.1:4000', tls: false })).toBeNull()
  })
})

describe('github pagination and principals', () => {
  it('finds the next link of a Link header', () => {
    const h = '<https://api.github.com/user/orgs?per_page=100&page=2>; rel="next", <https://api.github.com/user/orgs?per_page=100&page=5>; rel="last"'
    expect(nextLink(h)).toBe('https://api.github.com/user/orgs?per_page=100&page=2')
    expect(nextLink('<https://api.github.com/user/orgs?page=1>; rel="prev"')).toBeNull()
    expect(nextLink('<https://x/y>; rel="prev next"')).toBe('https://x/y')
    expect(nextLink(null)).toBeNull()
    expect(nextLink('garbage')).toBeNull()
  })

  it('names orgs and teams by numeric id, deduplicated', () => {
    const groups = groupPrincipals({
      orgs: [{ id: 7, login: 'acme' }, { id: 7, login: 'acme' }, { id: 3, login: 'zeta' }],
      teams: [{ id: 42, name: 'Ops', slug: 'ops' }],
    })
    expect(groups).toEqual(['github_org://3', 'github_org://7', 'github_team://42'])
  })
})

describe('flow cookies of different purposes', () => {
  it('never open as each other', async () => {
    const keys = env.DROVER_TOKEN_KEYS
    const github = await sealFlowClaims(keys, 'github', { st: 's', rd: '/', ru: 'https://e/cb', nn: 'n', cv: 'v' })
    expect(await openFlowClaims(keys, 'github', github, ['st', 'rd', 'ru'])).toMatchObject({ st: 's', rd: '/', ru: 'https://e/cb' })
    expect(await openFlowClaims(keys, 'oidc', github, ['st'])).toBeNull()
    expect(await openFlowClaims(keys, 'github', github, ['missing'])).toBeNull()
  })
})
