import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { execCommand, type KubectlResult } from './support/dev-cluster.ts'
import { kubectlVia } from './support/proxy-fixture.ts'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

// The real `drover` command (bin/drover.js, as a user runs it) against the real stack: a management dev
// cluster, the edge in workerd with its own CA, cluster `local`'s agent — and a real kubectl running
// `drover token` as its credential plugin.
const DROVER = join(import.meta.dirname, '..', 'bin', 'drover.js')
const PASSWORD = 'cli-admin-password-1234'
const dir = mkdtempSync(join(tmpdir(), 'drover-cli-login-'))
const configFile = join(dir, 'cfg', 'config.json')
let stack: MgmtStack
let server: string

beforeAll(async () => {
  stack = await mgmtStack('cli-login', { adminPassword: PASSWORD })
  server = stack.edge.url.origin
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
})

/** The environment of a user of this config file, who is not inside a kubectl plugin call. */
function userEnv(): NodeJS.ProcessEnv {
  const { KUBERNETES_EXEC_INFO: _k, NODE_EXTRA_CA_CERTS: _n, ...env } = process.env
  return { ...env, DROVER_CONFIG: configFile }
}

function drover(args: string[], input?: string): Promise<KubectlResult> {
  return execCommand(process.execPath, [DROVER, ...args], { env: userEnv(), ...(input !== undefined ? { input } : {}) })
}

type Stored = { servers: Record<string, { cacert?: string; session?: { token: string; expiresAt?: string; provider: string; username?: string } }> }
const stored = () => JSON.parse(readFileSync(configFile, 'utf8')) as Stored

/** Polls until the edge refuses the token (revocation reaches every isolate shortly after logout). */
async function refused(token: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if ((await stack.api(token).get('/v3/tokens')).status === 401) return
    await sleep(200)
  }
  throw new Error('the logged-out token is still accepted')
}

describe('logging in from the command line', () => {
  it('refuses a wrong password with a clear message and stores nothing', async () => {
    const r = await drover(['login', server, '--cacert', stack.edge.caFile, '--username', 'admin', '--password-stdin'], 'not-the-password\n')
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/^drover: login to .* failed: .*wrong username or password/)
    expect(existsSync(configFile)).toBe(false)
  })

  it('says how to trust the edge when its certificate is not trusted, and stores nothing', async () => {
    const r = await drover(['login', server, '--username', 'admin', '--password-stdin'], `${PASSWORD}\n`)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/not trusted .*--cacert/)
    expect(existsSync(configFile)).toBe(false)
  })

  it('names the enabled providers when asked for one that is not', async () => {
    const r = await drover(['login', server, '--cacert', stack.edge.caFile, '--provider', 'genericoidc', '--username', 'admin', '--password-stdin'], `${PASSWORD}\n`)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/"genericoidc" is not enabled .*enabled: local/)
  })

  it('logs in, lists clusters, and gives kubectl a kubeconfig without a token that works until logout', async () => {
    const login = await drover(['login', `${server}/`, '--cacert', stack.edge.caFile, '--username', 'admin', '--password-stdin'], `${PASSWORD}\n`)
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toContain(`Logged in to ${server} as admin (local)`)
    expect(statSync(configFile).mode & 0o777).toBe(0o600)
    const entry = stored().servers[server]!
    expect(entry.cacert).toBe(readFileSync(stack.edge.caFile, 'utf8'))
    expect(entry.session).toMatchObject({ provider: 'local', username: 'admin' })
    const token = entry.session!.token
    expect(token).toMatch(/^token-[a-z0-9]+:/)
    expect(login.stdout + login.stderr).not.toContain(token)
    expect((await stack.api(token).get('/v3/users?me=true')).status).toBe(200)

    const clusters = await drover(['clusters'])
    expect(clusters.code, clusters.stderr).toBe(0)
    expect(clusters.stdout).toMatch(/^ID\s+NAME\s+STATE\s+VERSION\n/)
    expect(clusters.stdout).toMatch(/^local\s+local\s+\S+/m)

    const kubeconfig = join(dir, 'local.kubeconfig')
    const kc = await drover(['kubeconfig', 'local', '-o', kubeconfig])
    expect(kc.code, kc.stderr).toBe(0)
    const text = readFileSync(kubeconfig, 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toContain(token.split(':')[1])
    const doc = parse(text) as { clusters: { cluster: { server: string } }[]; users: { user: Record<string, unknown> }[] }
    expect(doc.clusters[0]!.cluster.server).toBe(`${server}/k8s/clusters/local`)
    expect(Object.keys(doc.users[0]!.user)).toEqual(['exec'])

    // kubectl → `drover token` → the stored session → the edge → the local agent → the management apiserver.
    const ns = await kubectlVia(kubeconfig, ['get', 'namespaces', '-o', 'name'], { env: userEnv() })
    expect(ns.stderr).toBe('')
    expect(ns.stdout).toContain('namespace/cattle-system')

    const logout = await drover(['logout', server])
    expect(logout.code, logout.stderr).toBe(0)
    expect(stored().servers[server]).toEqual({ cacert: entry.cacert })
    await refused(token)

    // kubectl runs the plugin without a terminal: it cannot ask, so it says what to do.
    const after = await kubectlVia(kubeconfig, ['get', 'namespaces'], { env: userEnv() })
    expect(after.code).not.toBe(0)
    expect(after.stderr).toContain(`not logged in to ${server}: run "drover login ${server}"`)
    expect((await drover(['clusters'])).stderr).toMatch(/not logged in to any server: run "drover login <url>"/)
  })

  it('refuses a lapsed session to a plugin call that cannot ask, without printing the token', async () => {
    const lapsed = { token: 'token-lapse:secret-value', expiresAt: new Date(Date.now() - 1000).toISOString(), provider: 'local', username: 'admin' }
    const file = join(dir, 'lapsed.json')
    writeFileSync(file, JSON.stringify({ servers: { [server]: { session: lapsed } } }), { mode: 0o600 })
    const r = await execCommand(process.execPath, [DROVER, 'token', '--server', server, '--cluster', 'local'], {
      env: { ...userEnv(), DROVER_CONFIG: file, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } }) },
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`the drover session for ${server} has expired: run "drover login ${server}"`)
    expect(r.stderr).not.toContain('secret-value')
  })

  it('logs in again on the terminal when kubectl lets the plugin ask, without echoing the password', async () => {
    const file = join(dir, 'relogin.json')
    const lapsed = { token: 'token-old00:lapsed', expiresAt: new Date(Date.now() - 1000).toISOString(), provider: 'local', username: 'admin' }
    writeFileSync(file, JSON.stringify({ servers: { [server]: { cacert: readFileSync(stack.edge.caFile, 'utf8'), session: lapsed } } }), { mode: 0o600 })
    const env = {
      ...userEnv(),
      DROVER_CONFIG: file,
      KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: true } }),
      DROVER_NODE: process.execPath,
      DROVER_BIN: DROVER,
      DROVER_SERVER: server,
      SHELL: '/bin/sh',
    }
    const { code, output } = await onTerminal('"$DROVER_NODE" "$DROVER_BIN" token --server "$DROVER_SERVER" --cluster local', env, [
      [/Username: /, 'admin\r'],
      [/Password: /, `${PASSWORD}\r`],
    ])
    expect(code, output).toBe(0)
    expect(output).toContain(`The drover session for ${server} has expired; log in again.`)
    expect(output).not.toContain(PASSWORD)
    const credential = JSON.parse(/\{"apiVersion".*\}/.exec(output)?.[0] ?? '{}') as { status?: { token?: string; expirationTimestamp?: string } }
    const renewed = (JSON.parse(readFileSync(file, 'utf8')) as Stored).servers[server]!.session!
    expect(renewed.token).not.toBe(lapsed.token)
    expect(credential.status).toEqual({ token: renewed.token, expirationTimestamp: new Date(renewed.expiresAt!).toISOString() })
    expect(Date.parse(renewed.expiresAt!)).toBeGreaterThan(Date.now())
    expect((await stack.api(renewed.token).get('/v3/users?me=true')).status).toBe(200)
  })

  it('asks which provider when several are enabled, and takes no password for a browser provider', async () => {
    // Enabled as the edge reads it (the AuthConfig in the management cluster); no login reaches the issuer.
    const authConfig = { apiVersion: 'management.cattle.io/v3', kind: 'AuthConfig', metadata: { name: 'genericoidc' }, type: 'genericOIDCConfig', enabled: true, issuer: 'https://idp.invalid', clientId: 'drover' }
    const applied = await stack.cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(authConfig) })
    expect(applied.code, applied.stderr).toBe(0)
    const args = ['login', server, '--cacert', stack.edge.caFile, '--username', 'admin', '--password-stdin']
    // The edge caches the provider list for a few seconds.
    let several: KubectlResult | undefined
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(250)) {
      several = await drover(args, `${PASSWORD}\n`)
      if (several.code !== 0) break
    }
    expect(several!.code, several!.stderr).toBe(2)
    expect(several!.stderr).toContain('several login providers (local, genericoidc): choose one with --provider')
    const browser = await drover([...args, '--provider', 'genericoidc'], `${PASSWORD}\n`)
    expect(browser.code).toBe(1)
    expect(browser.stderr).toMatch(/genericoidc logs in through a web browser: leave out --username and --password-stdin/)
  })

  it('finishes a browser login through a loopback redirect with a one-time code only it can trade', async () => {
    // genericoidc is enabled by the test above; the browser already holds a session (the admin's, as a
    // cookie), so the provider's own pages are not needed: the edge's part of the flow is what is tested.
    const browserSession = await stack.login('admin', PASSWORD)
    const child = spawn(process.execPath, [DROVER, 'login', server, '--cacert', stack.edge.caFile, '--provider', 'genericoidc'], { env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      let start: URL | undefined
      for (const deadline = Date.now() + 20_000; !start && Date.now() < deadline; await sleep(100)) {
        const m = /(https:\/\/\S+\/v3-public\/cliLogin\?\S+)/.exec(err)
        if (m) start = new URL(m[1]!)
      }
      expect(start, err).toBeDefined()
      const edge = (path: string, cookie?: string) => stack.edge.fetch(path, { redirect: 'manual', headers: cookie ? { cookie } : {} }) as unknown as Promise<Response>
      const begun = await edge(start!.pathname + start!.search, `R_SESS=${browserSession}`)
      expect(begun.status).toBe(302)
      expect(begun.headers.get('location')).toBe('/v3-public/genericOIDCProviders/genericoidc/login?redirect=%2Fv3-public%2FcliLogin%2Ffinish')
      const flow = /drover-cli-login=[^;]+/.exec(begun.headers.getSetCookie().join('\n'))![0]
      // Without the browser's session, or without the flow, nothing is handed out.
      expect((await edge('/v3-public/cliLogin/finish', flow)).status).toBe(401)
      expect((await edge('/v3-public/cliLogin/finish', `R_SESS=${browserSession}`)).status).toBe(400)
      const finished = await edge('/v3-public/cliLogin/finish', `${flow}; R_SESS=${browserSession}`)
      expect(finished.status).toBe(302)
      const callback = new URL(finished.headers.get('location')!)
      expect(callback.origin).toBe(`http://127.0.0.1:${start!.searchParams.get('port')}`)
      expect(callback.searchParams.get('state')).toBe(start!.searchParams.get('state'))
      // The code alone is worth nothing: another verifier gets a 400.
      const stolen = await stack.api().post('/v3-public/cliLogin/token', { code: callback.searchParams.get('code'), verifier: 'x'.repeat(43) })
      expect(stolen.status).toBe(400)
      // A call with the wrong state is not taken for the answer; the real one is.
      const forged = new URL(callback)
      forged.searchParams.set('state', 'forged-state-value-000')
      expect((await fetch(forged)).status).toBe(400)
      expect((await fetch(callback)).status).toBe(200)
      expect(await exited, err).toBe(0)
      expect(out).toContain(`Logged in to ${server}`)
      const token = stored().servers[server]!.session!.token
      expect(token).not.toBe(browserSession)
      expect(err + out).not.toContain(token)
      const me = await stack.api(token).get<{ data: { id: string }[] }>('/v3/users?me=true')
      expect(me.body.data[0]?.id).toBe(stack.admin.userId)
    } finally {
      child.kill()
    }
  })

  it('refuses a command-line browser login for a password provider and for bad parameters', async () => {
    const q = (params: Record<string, string>) => stack.api().get(`/v3-public/cliLogin?${new URLSearchParams({ provider: 'genericoidc', port: '40000', state: 's'.repeat(16), challenge: 'c'.repeat(43), ...params })}`)
    expect((await q({ provider: 'local' })).status).toBe(422)
    expect((await q({ port: '80' })).status).toBe(422)
    expect((await q({ challenge: 'short' })).status).toBe(422)
    expect((await q({ provider: 'nosuch' })).status).toBe(404)
  })
})

/**
 * Runs `command` on a pseudo-terminal (util-linux `script`), typing each answer once its prompt has
 * shown, as a person at kubectl's terminal would; returns the exit code and all it printed. A command
 * still waiting after a minute is stopped, so a missed prompt fails with the output instead of hanging.
 */
function onTerminal(command: string, env: NodeJS.ProcessEnv, answers: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'inherit'] })
    let output = ''
    let next = 0
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      if (next < answers.length && answers[next]![0].test(output)) child.stdin.write(answers[next++]![1])
    })
    const stop = setTimeout(() => child.kill(), 60_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(stop)
      child.stdin.end()
      resolve({ code, output })
    })
  })
}
