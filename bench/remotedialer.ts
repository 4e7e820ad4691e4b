/**
 * Rancher's tunnel for bench:proxy: builds bench/remotedialer (Go, rancher/remotedialer v0.6.1) into
 * ~/.cache/drover/bench and starts its server and client as two processes against a dev cluster, so the bench
 * can print remotedialer's figures and per-process CPU next to direct access and drover.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { SecureContextOptions } from 'node:tls'
import { fileURLToPath } from 'node:url'

export interface RemoteDialer extends AsyncDisposable {
  /** Base URL of the cluster through the tunnel (http on loopback, as the bench runs it). */
  url: string
  server: ChildProcess
  client: ChildProcess
}

/** The apiserver's CA and the admin client certificate, as `KubeConfig.applyToHTTPSOptions` fills them in. */
export type UpstreamTls = Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>

function pem(name: string, value: unknown): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value
  throw new Error(`remotedialer needs the dev cluster's ${name} as one PEM; its kubeconfig gave ${value === undefined ? 'none' : 'several or an encrypted key'}`)
}

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'remotedialer')
const CLIENT_ID = 'bench'

/** Builds the program; resolves to its path, or to the reason it cannot be built (no Go, module unavailable). */
export async function buildRemoteDialer(log: (line: string) => void): Promise<{ bin: string } | { skipped: string }> {
  const out = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'drover', 'bench')
  mkdirSync(out, { recursive: true })
  const bin = join(out, 'remotedialer-bench')
  log(`building ${SOURCE} → ${bin} (go build; the first build downloads rancher/remotedialer v0.6.1)…`)
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' }
  const result = await new Promise<{ code: number | null; error?: Error; stderr: string }>((resolve) => {
    const child = spawn('go', ['build', '-o', bin, '.'], { cwd: SOURCE, env, stdio: ['ignore', 'inherit', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      process.stderr.write(d)
    })
    child.on('error', (error) => resolve({ code: null, error, stderr }))
    child.on('exit', (code) => resolve({ code, stderr }))
  })
  if (result.error) return { skipped: `go is not available (${result.error.message})` }
  if (result.code !== 0) return { skipped: `go build failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` }
  return { bin }
}

/**
 * Starts the server (reverse proxy to `upstream` through the tunnel, impersonating `identity` as Rancher
 * impersonates its user) and one client, and waits until it is connected.
 */
export async function startRemoteDialer(bin: string, upstream: string, tls: UpstreamTls, identity: { user: string; groups: string[] }): Promise<RemoteDialer> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-rd-'))
  for (const name of ['ca', 'cert', 'key'] as const) writeFileSync(join(dir, `${name}.pem`), pem(name, tls[name]), { mode: 0o600 })
  const args = ['server', '-upstream', upstream, '-ca', join(dir, 'ca.pem'), '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem')]
  args.push('-impersonate-user', identity.user, ...identity.groups.flatMap((g) => ['-impersonate-group', g]))
  const server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  const keep = (d: Buffer) => output.push(d.toString())
  server.stderr!.on('data', keep)
  let client: ChildProcess | undefined
  const stop = () => {
    client?.kill('SIGKILL')
    server.kill('SIGKILL')
  }
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = ''
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /listening (\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      server.on('exit', (code) => reject(new Error(`remotedialer server exited (${code}): ${output.join('')}`)))
      setTimeout(() => reject(new Error(`remotedialer server did not start within 10 s: ${output.join('')}`)), 10_000).unref()
    })
    client = spawn(bin, ['client', '-connect', `ws://${address}/connect`, '-id', CLIENT_ID], { stdio: ['ignore', 'ignore', 'pipe'] })
    client.stderr!.on('data', keep)
    const deadline = Date.now() + 15_000
    for (;;) {
      const r = await fetch(`http://${address}/ready?id=${CLIENT_ID}`).catch(() => undefined)
      if (r?.status === 200) break
      if (Date.now() > deadline) throw new Error(`remotedialer client did not connect within 15 s: ${output.join('')}`)
      await new Promise((res) => setTimeout(res, 100))
    }
    return { url: `http://${address}/k8s/clusters/${CLIENT_ID}`, server, client, [Symbol.asyncDispose]: async () => stop() }
  } catch (e) {
    stop()
    throw e
  }
}
