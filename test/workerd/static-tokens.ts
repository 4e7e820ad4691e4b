import type { Authenticator, Principal } from '../../workers/identity/authenticator.ts'
import { bytesEqual, sha256 } from '../../workers/identity/compare.ts'

/**
 * Test authenticator: fixed tokens listed in the `DROVER_STATIC_TOKENS` binding (JSON) of the test
 * entry (worker.ts), for tests that need a principal or an agent without logging in or registering. The
 * deployed worker has no code path to it. It compares SHA-256 digests in constant time and never logs a
 * token. Shape: `{ "users": { "<token>": Principal }, "agents": { "<token>": "<clusterId>" } }`.
 */
export interface StaticTokens {
  users?: Record<string, Principal>
  agents?: Record<string, string>
}

const digest = sha256

type Digested<T> = Promise<[Uint8Array, T][]>

/** The table's token digests, computed once per table instead of on every request. */
function digestAll<T>(table: Record<string, T> | undefined): Digested<T> {
  return Promise.all(Object.entries(table ?? {}).map(async ([token, value]) => [await digest(token), value] as [Uint8Array, T]))
}

async function lookup<T>(table: Digested<T>, token: string): Promise<T | null> {
  if (!token) return null
  const want = await digest(token)
  let found: T | null = null
  // Every entry is compared, so timing does not reveal which one matched or how far.
  for (const [candidate, value] of await table) {
    if (bytesEqual(candidate, want)) found = value
  }
  return found
}

/** `inner` first (drover tokens, the runner, registration tokens), then the table. */
export function withStaticTokens(inner: Authenticator, json: string | undefined): Authenticator {
  const statics = staticTokenAuthenticator(json)
  return {
    user: async (token) => (await inner.user(token)) ?? statics.user(token),
    agent: async (token) => (await inner.agent(token)) ?? statics.agent(token),
  }
}

// One authenticator per isolate and binding value: the JSON is parsed once, not on every request.
let memo: { json: string | undefined; authenticator: Authenticator } | undefined

export function staticTokenAuthenticator(json: string | undefined): Authenticator {
  if (!memo || memo.json !== json) memo = { json, authenticator: build(json) }
  return memo.authenticator
}

function build(json: string | undefined): Authenticator {
  let tokens: StaticTokens = {}
  try {
    tokens = json ? (JSON.parse(json) as StaticTokens) : {}
  } catch {
    console.error('DROVER_STATIC_TOKENS is not valid JSON; no static tokens are accepted')
  }
  const users = digestAll(tokens.users)
  const agents = digestAll(tokens.agents)
  return {
    user: (token) => lookup(users, token),
    agent: async (token) => {
      const clusterId = await lookup(agents, token)
      return clusterId ? { clusterId } : null
    },
  }
}
