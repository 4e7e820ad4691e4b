import { describe, expect, it } from 'vitest'
import { decodeTokenState, encodeTokenState, generateToken, nextChangeIn, nextTokenState, registrationCommands } from './registration.ts'

const MIN = 60_000
const t0 = Date.parse('2030-01-01T00:00:00Z')
let n = 0
const gen = () => `tok${++n}`

describe('registration tokens', () => {
  it('generates 54 characters of [a-z0-9], different every time', () => {
    const a = generateToken()
    expect(a).toMatch(/^[a-z0-9]{54}$/)
    expect(generateToken()).not.toBe(a)
    expect(generateToken(200, 'xyz')).toMatch(/^[xyz]{200}$/)
  })

  it('issues, rotates at expiry with a grace period, then drops the previous token', () => {
    const life = { ttlMs: 10 * MIN, graceMs: 2 * MIN }
    const first = nextTokenState(undefined, t0, life, gen)
    expect(first).toEqual({ token: 'tok1', expiresAt: '2030-01-01T00:10:00Z' })
    expect(nextTokenState(first, t0 + 9 * MIN, life, gen)).toEqual(first)
    expect(nextChangeIn(first, t0)).toBe(10 * MIN + 1000)
    const rotated = nextTokenState(first, t0 + 10 * MIN, life, gen)
    expect(rotated).toEqual({ token: 'tok2', expiresAt: '2030-01-01T00:20:00Z', previousToken: 'tok1', previousExpiresAt: '2030-01-01T00:12:00Z' })
    expect(nextChangeIn(rotated, t0 + 10 * MIN)).toBe(2 * MIN + 1000)
    expect(nextTokenState(rotated, t0 + 12 * MIN, life, gen)).toEqual({ token: 'tok2', expiresAt: '2030-01-01T00:20:00Z' })
  })

  it('never expires with a TTL of 0, and round-trips through Secret data', () => {
    const s = nextTokenState(undefined, t0, { ttlMs: 0, graceMs: 0 }, gen)
    expect(s.expiresAt).toBe('')
    expect(nextChangeIn(s, t0)).toBeUndefined()
    const full = { token: 'a', expiresAt: 'x', previousToken: 'b', previousExpiresAt: 'y' }
    expect(decodeTokenState(encodeTokenState(full))).toEqual(full)
  })

  it('builds the manifest URL and commands', () => {
    expect(registrationCommands('https://d.example/', 'c-1', { token: 'abc', expiresAt: '' })).toEqual({
      token: 'abc',
      manifestUrl: 'https://d.example/v3/import/abc_c-1.yaml',
      command: 'kubectl apply -f https://d.example/v3/import/abc_c-1.yaml',
      insecureCommand: 'curl --insecure -sfL https://d.example/v3/import/abc_c-1.yaml | kubectl apply -f -',
      expiresAt: '',
    })
  })
})
