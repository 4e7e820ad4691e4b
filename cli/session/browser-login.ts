// A browser login for the command line (OIDC, GitHub, SAML): RFC 8252's loopback redirect with PKCE
// against the edge's /v3-public/cliLogin (workers/identity/cli-login.ts). The CLI listens on a free
// 127.0.0.1 port, prints the URL to open, waits for the browser to come back with a one-time code and
// trades it, with the verifier only it holds, for a session of its own.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as v from 'valibot'
import { StartError } from '../usage.ts'
import type { Session } from './config.ts'
import { errorMessage, type EdgeClient } from './edge-client.ts'

/** How long the CLI waits for the browser. */
export const BROWSER_WAIT_MS = 5 * 60_000

const answerSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1)),
  expiresAt: v.optional(v.nullable(v.string())),
  userId: v.optional(v.nullable(v.string())),
  authProvider: v.optional(v.nullable(v.string())),
  userPrincipal: v.optional(v.nullable(v.string())),
})

const b64url = (b: Buffer) => b.toString('base64url')

export interface BrowserLoginOptions {
  /** Where the URL to open is written (stderr by default). */
  tell?: (line: string) => void
  waitMs?: number
}

/** The page the browser shows once the code reached the CLI: no script, nothing to load. */
function page(text: string): string {
  return `<!doctype html><meta charset="utf-8"><title>drover login</title><p>${text}</p>`
}

function waitForCode(server: Server, state: string, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StartError(`no browser login came back within ${Math.round(waitMs / 1000)} s: run drover login again`)), waitMs)
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (req.method !== 'GET' || url.pathname !== '/callback') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      const code = url.searchParams.get('code')
      // Anything else on this machine could call the port: only the answer to our own request counts.
      if (!code || url.searchParams.get('state') !== state) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('This login was not started by this drover command. Return to the terminal.'))
        return
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page('Logged in. You can close this tab and return to the terminal.'))
      clearTimeout(timer)
      resolve(code)
    })
  })
}

export async function browserLogin(edge: EdgeClient, providerId: string, opts: BrowserLoginOptions = {}): Promise<Session> {
  const verifier = b64url(randomBytes(32))
  const challenge = b64url(createHash('sha256').update(verifier).digest())
  const state = b64url(randomBytes(16))
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    const url = `${edge.server}/v3-public/cliLogin?${new URLSearchParams({ provider: providerId, port: String(port), state, challenge })}`
    const tell = opts.tell ?? ((line: string) => process.stderr.write(`${line}\n`))
    tell(`Open this URL in a browser on this machine to log in with ${providerId}:\n\n  ${url}\n`)
    const code = await waitForCode(server, state, opts.waitMs ?? BROWSER_WAIT_MS)
    const res = await edge.request('POST', '/v3-public/cliLogin/token', { body: { code, verifier } })
    if (res.status !== 201) throw new StartError(`login to ${edge.server} failed (${res.status}): ${errorMessage(res)}`)
    const parsed = v.safeParse(answerSchema, res.body)
    if (!parsed.success) throw new StartError(`${edge.server} answered the login without a token`)
    const a = parsed.output
    return {
      token: a.token,
      provider: a.authProvider || providerId,
      username: a.userPrincipal || a.userId || providerId,
      ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
      ...(a.userId ? { userId: a.userId } : {}),
    }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}
