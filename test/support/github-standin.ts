// THE GITHUB STAND-IN — the one fake drover's tests allow (DESIGN.md, "Real components"): GitHub itself
// cannot be reached from here, so this small node:http server speaks GitHub's documented OAuth app and
// REST shapes, laid out as GitHub Enterprise Server lays them out (web on the host, REST under
// `/api/v3`; nothing answers at the root API paths, so a login that works proves the `/api/v3` base):
//   GET  /login/oauth/authorize     signs in as `signedInAs` (a GitHub browser session) and redirects to
//                                   redirect_uri with `code` and the `state` it was given
//   POST /login/oauth/access_token  client_id + client_secret + code (+ redirect_uri) → access token JSON,
//                                   or GitHub's 200-with-`error` answer (bad_verification_code, …)
//   GET  /api/v3/user, /api/v3/user/orgs, /api/v3/user/teams  (Bearer or `token` auth; lists paginated
//                                   with `per_page`/`page` and a Link header, at most PAGE_CAP per page so
//                                   a handful of memberships already spans several pages)
// Every request is recorded, so tests can check what the edge asked for.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StandinOrg {
  id: number
  login: string
}

export interface StandinTeam {
  id: number
  name: string
  slug: string
  org: StandinOrg
}

export interface StandinUser {
  id: number
  login: string
  name: string
  orgs: StandinOrg[]
  teams: StandinTeam[]
}

export interface StandinOptions {
  clientId: string
  clientSecret: string
  users: StandinUser[]
}

/** The stand-in's page size cap (GitHub's is 100): small, so pagination is always exercised. */
export const PAGE_CAP = 2

export interface GithubStandin extends AsyncDisposable {
  /** `127.0.0.1:<port>`: the `hostname` to configure (with `tls: false`). */
  host: string
  /** The user the "browser" is signed in to GitHub as; the authorize endpoint answers for them. */
  signedInAs: string
  /** Requests seen, as `METHOD path?query`. */
  requests: string[]
  /** A code for a user, as the authorize endpoint would issue it (for flows the test drives by hand). */
  issueCode(login: string, redirectUri?: string): string
}

interface Grant {
  login: string
  redirectUri: string | undefined
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if ((req.headers['content-type'] ?? '').includes('application/json')) return new URLSearchParams(JSON.parse(text) as Record<string, string>)
  return new URLSearchParams(text)
}

export async function githubStandin(opts: StandinOptions): Promise<GithubStandin> {
  const codes = new Map<string, Grant>()
  const tokens = new Map<string, string>()
  const users = new Map(opts.users.map((u) => [u.login, u]))
  const requests: string[] = []
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`

  const issueCode = (login: string, redirectUri?: string) => {
    const code = randomBytes(10).toString('hex')
    codes.set(code, { login, redirectUri })
    return code
  }

  const page = (req: IncomingMessage, res: ServerResponse, url: URL, items: unknown[]) => {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, PAGE_CAP)
    const n = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
    const last = Math.max(1, Math.ceil(items.length / perPage))
    const link = (p: number, rel: string) => {
      const u = new URL(url.pathname, `http://${host}`)
      u.searchParams.set('per_page', url.searchParams.get('per_page') ?? '30')
      u.searchParams.set('page', String(p))
      return `<${u.href}>; rel="${rel}"`
    }
    const links = [...(n < last ? [link(n + 1, 'next'), link(last, 'last')] : []), ...(n > 1 ? [link(1, 'first'), link(n - 1, 'prev')] : [])]
    json(res, 200, items.slice((n - 1) * perPage, n * perPage), links.length ? { link: links.join(', ') } : {})
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${host}`)
    requests.push(`${req.method} ${url.pathname}${url.search}`)
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      if (url.searchParams.get('client_id') !== opts.clientId) return json(res, 404, { message: 'Not Found' })
      const redirectUri = url.searchParams.get('redirect_uri')
      if (!redirectUri || !users.has(standin.signedInAs)) return json(res, 400, { message: 'no redirect_uri, or nobody signed in' })
      const back = new URL(redirectUri)
      back.searchParams.set('code', issueCode(standin.signedInAs, redirectUri))
      const state = url.searchParams.get('state')
      if (state !== null) back.searchParams.set('state', state)
      res.writeHead(302, { location: back.href })
      return res.end()
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = await readBody(req)
      if (form.get('client_id') !== opts.clientId || form.get('client_secret') !== opts.clientSecret) {
        return json(res, 200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' })
      }
      const grant = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const redirectUri = form.get('redirect_uri')
      if (!grant || (redirectUri !== null && grant.redirectUri !== undefined && redirectUri !== grant.redirectUri)) {
        return json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' })
      }
      const token = `gho_${randomBytes(18).toString('hex')}`
      tokens.set(token, grant.login)
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:org' })
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) {
      const auth = /^(?:Bearer|token) (\S+)$/.exec(req.headers.authorization ?? '')
      const user = users.get(tokens.get(auth?.[1] ?? '') ?? '')
      if (!user) return json(res, 401, { message: 'Bad credentials' })
      const path = url.pathname.slice('/api/v3'.length)
      if (path === '/user') return json(res, 200, { login: user.login, id: user.id, name: user.name, type: 'User', avatar_url: `http://${host}/avatars/${user.id}` })
      if (path === '/user/orgs') return page(req, res, url, user.orgs.map((o) => ({ login: o.login, id: o.id, description: null })))
      if (path === '/user/teams') return page(req, res, url, user.teams.map((t) => ({ id: t.id, name: t.name, slug: t.slug, privacy: 'closed', organization: { login: t.org.login, id: t.org.id } })))
    }
    json(res, 404, { message: 'Not Found' })
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => json(res, 500, { message: 'stand-in error' }))
  })

  const standin: GithubStandin = {
    host,
    signedInAs: opts.users[0]?.login ?? '',
    requests,
    issueCode,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return standin
}
