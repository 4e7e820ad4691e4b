// Registration tokens: generation, rotation and the Secret that holds them. Pure functions of the Secret's
// current data and the time, so rotation is testable without waiting.
import { randomBytes } from 'node:crypto'
import { rfc3339 } from './conditions.ts'
import { REGISTRATION_KEYS as K } from '../../protocol/api/registration.ts'

export const TOKEN_LENGTH = 54
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * `length` characters of `alphabet` (default: 54 of [a-z0-9]) from a CSPRNG, without modulo bias: bytes
 * at or above the largest multiple of the alphabet's size are rejected (≥ 252 for 36 characters).
 */
export function generateToken(length = TOKEN_LENGTH, alphabet = ALPHABET): string {
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b >= limit) continue
      out += alphabet[b % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}

/** The Secret's `data`, decoded. Empty strings mean absent. */
export interface TokenState {
  token: string
  /** RFC 3339, or '' for no expiry. */
  expiresAt: string
  previousToken?: string
  previousExpiresAt?: string
}

export interface Lifetimes {
  /** 0: never expires. */
  ttlMs: number
  /** How long the previous token stays valid after a rotation. */
  graceMs: number
}

const time = (s: string | undefined) => (s ? Date.parse(s) : NaN)

/**
 * The state the Secret should hold at `now`: a first token when there is none; at expiry a new token,
 * the old one kept as `previousToken` until `now + grace`; the previous one dropped once its grace ends.
 */
export function nextTokenState(current: TokenState | undefined, now: number, life: Lifetimes, gen = generateToken): TokenState {
  const fresh = (): TokenState => ({ token: gen(), expiresAt: life.ttlMs > 0 ? rfc3339(now + life.ttlMs) : '' })
  if (!current?.token) return fresh()
  let state: TokenState = { ...current }
  const expires = time(state.expiresAt)
  if (Number.isFinite(expires) && now >= expires) {
    const next = fresh()
    state = life.graceMs > 0 ? { ...next, previousToken: current.token, previousExpiresAt: rfc3339(now + life.graceMs) } : next
  } else if (!state.expiresAt && life.ttlMs > 0) {
    // A TTL was configured after the token was issued: it starts counting now.
    state.expiresAt = rfc3339(now + life.ttlMs)
  }
  if (state.previousToken && !(time(state.previousExpiresAt) > now)) {
    delete state.previousToken
    delete state.previousExpiresAt
  }
  return state
}

/** When the state next needs the reconciler (expiry or end of grace), in ms from `now`; undefined: never. */
export function nextChangeIn(state: TokenState, now: number): number | undefined {
  const times = [time(state.expiresAt), time(state.previousExpiresAt)].filter(Number.isFinite)
  if (!times.length) return undefined
  return Math.max(0, Math.min(...times) - now) + 1_000
}

export function encodeTokenState(s: TokenState): Record<string, string> {
  const data: Record<string, string> = { [K.token]: s.token, [K.expiresAt]: s.expiresAt }
  if (s.previousToken) Object.assign(data, { [K.previousToken]: s.previousToken, [K.previousExpiresAt]: s.previousExpiresAt ?? '' })
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))
}

export function decodeTokenState(data: Record<string, string> | undefined): TokenState | undefined {
  if (!data?.[K.token]) return undefined
  const get = (k: string) => (data[k] ? Buffer.from(data[k], 'base64').toString('utf8') : '')
  const s: TokenState = { token: get(K.token), expiresAt: get(K.expiresAt) }
  if (data[K.previousToken]) Object.assign(s, { previousToken: get(K.previousToken), previousExpiresAt: get(K.previousExpiresAt) })
  return s
}

export interface RegistrationCommands {
  token: string
  manifestUrl: string
  command: string
  insecureCommand: string
  expiresAt: string
}

export function registrationCommands(serverUrl: string, clusterId: string, s: TokenState): RegistrationCommands {
  const manifestUrl = `${serverUrl.replace(/\/+$/, '')}/v3/import/${s.token}_${clusterId}.yaml`
  return {
    token: s.token,
    manifestUrl,
    command: `kubectl apply -f ${manifestUrl}`,
    insecureCommand: `curl --insecure -sfL ${manifestUrl} | kubectl apply -f -`,
    expiresAt: s.expiresAt,
  }
}
