// GitHub's OAuth app flow and the REST calls a login needs: the code exchange at
// `<web>/login/oauth/access_token`, then `/user`, `/user/orgs` and `/user/teams` (Link-header pages).
// Every answer is untrusted: bodies are size-limited and checked with valibot, Link URLs are followed only
// within the API base (the bearer token never goes elsewhere), and calls run one at a time, well inside
// production Workers' 6 simultaneous outbound connections per request.
import * as v from 'valibot'
import { ApiError } from '../../../errors.ts'
import { readAtMost } from '../../../read-limited.ts'
import { endpoints, PROVIDER, type GithubSettings } from './config.ts'

const TIMEOUT_MS = 10_000
/** Larger answers than this are not GitHub's to these calls: 100 orgs or teams take well under it. */
const MAX_BODY_BYTES = 1 << 20
/** Pages of 100 per list; more memberships than this could never fit a session anyway (MAX_GROUP_CHARS). */
export const MAX_PAGES = 5
const PER_PAGE = 100

const id = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER))
const name = (max: number) => v.pipe(v.string(), v.maxLength(max))

const tokenAnswer = v.union([
  v.object({ access_token: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)), token_type: v.optional(v.string()), scope: v.optional(v.string()) }),
  v.object({ error: name(256), error_description: v.optional(v.string()) }),
])
export const userSchema = v.object({ id, login: name(256), name: v.optional(v.nullable(name(256))), avatar_url: v.optional(v.nullable(v.string())) })
export const orgSchema = v.object({ id, login: name(256) })
export const teamSchema = v.object({ id, name: name(256), slug: name(256), organization: v.optional(v.object({ login: name(256) })) })
export type GithubUser = v.InferOutput<typeof userSchema>
export type GithubOrg = v.InferOutput<typeof orgSchema>
export type GithubTeam = v.InferOutput<typeof teamSchema>

/** Only short, printable text from GitHub reaches an error body. */
const clean = (s: string, max = 200) => s.replace(/[^\x20-\x7e]/g, '').slice(0, max)

const unreachable = (step: string) => new ApiError(502, `${PROVIDER}: GitHub is unreachable or answered badly during ${step}`, 'BadGateway')

async function call(url: string, init: RequestInit, step: string): Promise<Response> {
  try {
    // GitHub answers redirects only for moved resources: never follow one with a token attached.
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch {
    throw unreachable(step)
  }
}

/** The body as JSON, read up to MAX_BODY_BYTES, then checked against the schema. */
async function readJson<S extends v.GenericSchema>(res: Response, schema: S, step: string): Promise<v.InferOutput<S>> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX_BODY_BYTES || !res.body) {
    await res.body?.cancel()
    throw unreachable(step)
  }
  const body = await readAtMost(res.body, MAX_BODY_BYTES)
  if (!body) throw unreachable(step)
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder().decode(body))
  } catch {
    throw unreachable(step)
  }
  const result = v.safeParse(schema, parsed)
  if (!result.success) throw unreachable(step)
  return result.output
}

export interface CodeExchange {
  clientId: string
  clientSecret: string
  code: string
  /** Repeated as sent to the authorize endpoint; absent when the client built the URL (Rancher's UI). */
  redirectUri?: string
}

/** The user's access token for a code; a refused code or client is a 401, naming GitHub's error. */
export async function exchangeCode(settings: GithubSettings, req: CodeExchange): Promise<string> {
  const form = new URLSearchParams({ client_id: req.clientId, client_secret: req.clientSecret, code: req.code })
  if (req.redirectUri) form.set('redirect_uri', req.redirectUri)
  const res = await call(`${endpoints(settings).web}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  }, 'the code exchange')
  if (res.status === 401 || res.status === 403 || res.status === 400) {
    await res.body?.cancel()
    throw new ApiError(401, `${PROVIDER} login failed: GitHub refused the client's credentials or the code`, 'Unauthorized')
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw unreachable('the code exchange')
  }
  const answer = await readJson(res, tokenAnswer, 'the code exchange')
  if ('error' in answer) throw new ApiError(401, `${PROVIDER} login failed: GitHub refused the code: ${clean(answer.error, 64)}`, 'Unauthorized')
  return answer.access_token
}

function apiHeaders(token: string): HeadersInit {
  return { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'drover' }
}

async function apiGet(url: string, token: string, step: string): Promise<Response> {
  const res = await call(url, { headers: apiHeaders(token) }, step)
  if (res.status === 401) {
    await res.body?.cancel()
    throw new ApiError(401, `${PROVIDER} login failed: GitHub refused the access token`, 'Unauthorized')
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw unreachable(step)
  }
  return res
}

export async function getUser(settings: GithubSettings, token: string): Promise<GithubUser> {
  return readJson(await apiGet(`${endpoints(settings).api}/user`, token, 'GET /user'), userSchema, 'GET /user')
}

/** The `rel="next"` URL of a Link header (RFC 8288, as GitHub sends it), or null. */
export function nextLink(header: string | null): string | null {
  if (!header || header.length > 8192) return null
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (!m) continue
    for (const param of m[2]!.split(';')) {
      const [key, value] = param.split('=', 2).map((s) => s.trim())
      if (key?.toLowerCase() === 'rel' && value?.replace(/^"|"$/g, '').split(/\s+/).includes('next')) return m[1]!
    }
  }
  return null
}

/**
 * A list endpoint's items over its pages. A next link is followed only when it stays on the API base's
 * origin and path (it carries the token); past MAX_PAGES the login fails rather than dropping groups.
 */
export async function getPages<S extends v.GenericSchema>(settings: GithubSettings, token: string, path: string, item: S): Promise<v.InferOutput<S>[]> {
  const base = new URL(endpoints(settings).api)
  const step = `GET ${path}`
  const out: v.InferOutput<S>[] = []
  let url: string | null = `${base.href.replace(/\/$/, '')}${path}?per_page=${PER_PAGE}`
  for (let page = 0; url; page++) {
    if (page === MAX_PAGES) throw new ApiError(422, `${PROVIDER} login failed: ${path} has more than ${MAX_PAGES * PER_PAGE} entries, more than a session can carry`, 'InvalidBodyContent')
    const res = await apiGet(url, token, step)
    const next = nextLink(res.headers.get('link'))
    out.push(...(await readJson(res, v.pipe(v.array(item), v.maxLength(PER_PAGE)), step)))
    url = next && withinBase(next, base) ? next : null
    if (next && !url) throw unreachable(step)
  }
  return out
}

function withinBase(link: string, base: URL): boolean {
  try {
    const url = new URL(link)
    const prefix = base.pathname.replace(/\/$/, '')
    return url.origin === base.origin && !url.username && !url.password && (prefix === '' || url.pathname.startsWith(`${prefix}/`))
  } catch {
    return false
  }
}

export interface GithubIdentity {
  user: GithubUser
  orgs: GithubOrg[]
  teams: GithubTeam[]
}

/** Everything a login learns about the token's user, fetched one call at a time. */
export async function identityOf(settings: GithubSettings, token: string): Promise<GithubIdentity> {
  const user = await getUser(settings, token)
  const orgs = await getPages(settings, token, '/user/orgs', orgSchema)
  const teams = await getPages(settings, token, '/user/teams', teamSchema)
  return { user, orgs, teams }
}
