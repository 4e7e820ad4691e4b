import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPrograms, staleness, type BuiltPrograms } from '../infra/build/programs.ts'
import { FakeEdge, TOKEN } from './support/agent-edge.ts'
import { execCommand } from './support/dev-cluster.ts'
import { until } from './support/streams.ts'

// The bundle is built into a temporary directory: nothing above it has node_modules, so every run here
// shows the programs need none (as in the image).
describe('the bundled programs (dist/drover.mjs)', () => {
  let out: string
  let built: BuiltPrograms
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'drover-programs-'))
    built = await buildPrograms({ outdir: out })
  }, 120_000)
  afterAll(() => rm(out, { recursive: true, force: true }))

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => execCommand(process.execPath, [built.entry, ...args], { env: { ...process.env, ...env } })

  it('runs from a directory with no node_modules, and offers only the agent, the runner and the ext-apiserver', async () => {
    for (let dir = out; dir !== dirname(dir); dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules')), dir).toBe(false)
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^ {2}agent --server URL/m)
    expect(help.stdout).toMatch(/^ {2}runner \[--kubeconfig PATH\]/m)
    expect(help.stdout).toMatch(/^ {2}ext-apiserver --serving-cert PEM/m)
    expect(help.stdout).not.toMatch(/^ {2}(start|dev-cluster|build-)/m)
    const start = await run(['start'])
    expect([start.code, start.stderr]).toEqual([2, expect.stringContaining('drover: unknown command "start"')])
  })

  it('prints each program\'s usage on --help or -h, and refuses bad flags with it (exit 2)', async () => {
    for (const [args, synopsis] of [[['agent', '--help'], 'usage: drover agent --server URL'], [['runner', '-h'], 'usage: drover runner [--kubeconfig PATH]']] as const) {
      const r = await run([...args])
      expect([r.code, r.stdout.split('\n')[0]]).toEqual([0, expect.stringContaining(synopsis)])
    }
    const bad = await run(['agent', '--server', 'not a url', '--token', 't'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^drover: --server must be a URL, not "not a url"\n\nusage: drover agent/)
    const unknown = await run(['runner', '--lease-duration', '15', '--bogus'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: drover runner/)
  })

  it('runs the agent: it dials the edge, says hello and closes cleanly on SIGTERM', async () => {
    const edge = new FakeEdge()
    try {
      const kubeconfig = join(out, 'kubeconfig')
      // An apiserver that is never dialled: the agent reaches its cluster only for proxied requests and facts.
      await writeFile(kubeconfig, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9' } }],
        users: [{ name: 'u', user: { token: 'kube-token' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      }))
      const child = spawn(process.execPath, [built.entry, 'agent', '--server', await edge.url(), '--kubeconfig', kubeconfig], {
        env: { ...process.env, DROVER_AGENT_TOKEN: TOKEN, DROVER_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let log = ''
      child.stdout.on('data', (d: Buffer) => (log += d.toString()))
      child.stderr.on('data', (d: Buffer) => (log += d.toString()))
      const exited = new Promise<number | null>((r) => child.once('exit', r))
      await until(() => edge.hellos.length > 0 || child.exitCode !== null, 30_000)
      expect(edge.hellos, log).toHaveLength(1)
      child.kill('SIGTERM')
      expect(await exited, log).toBe(0)
      expect(log).toContain('"name":"drover-agent"')
      expect(log).not.toContain(TOKEN)
      await until(() => edge.closes.length > 0)
    } finally {
      await edge.close()
    }
  })

  it('runs each program far enough to refuse a kubeconfig it cannot read, without a stack trace', async () => {
    const missing = join(out, 'no-such-kubeconfig')
    for (const args of [['runner', '--kubeconfig', missing], ['agent', '--server', 'https://edge.example', '--token', 't', '--kubeconfig', missing]]) {
      const r = await run(args)
      expect([r.code, r.stderr]).toEqual([1, `drover: cannot load the kubeconfig ${missing}: ENOENT: no such file or directory, open '${missing}'\n`])
    }
  })

  it('keeps each program to its own code, and the entry to the dispatcher', () => {
    const outputs = built.metafile.outputs
    const closure = (start: string): string[] => {
      const seen = new Set<string>()
      const inputs: string[] = []
      const visit = (file: string) => {
        if (seen.has(file)) return
        seen.add(file)
        inputs.push(...Object.keys(outputs[file]!.inputs))
        for (const i of outputs[file]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path)
      }
      visit(start)
      return inputs
    }
    const holding = (input: string) => Object.keys(outputs).find((o) => input in outputs[o]!.inputs)!
    const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === 'cli/programs.ts')!
    expect(closure(entry).sort()).toEqual(['cli/command.ts', 'cli/programs.ts', 'cli/usage.ts'])
    const agent = closure(holding('cli/agent.ts'))
    const runner = closure(holding('cli/runner.ts'))
    expect(agent).toContain('agent/connection.ts')
    expect(agent.filter((i) => i.startsWith('controller-runner/'))).toEqual([])
    expect(runner).toContain('controller-runner/manager.ts')
    expect(runner.filter((i) => i.startsWith('agent/'))).toEqual([])
    const ext = closure(holding('cli/ext-apiserver.ts'))
    expect(ext).toContain('ext-apiserver/server/handler.ts')
    expect(ext.filter((i) => /^(agent|controller-runner)\//.test(i))).toEqual([])
    const all = Object.keys(built.metafile.inputs)
    expect(all.filter((i) => /^(workers|objects|test|bench)\/|node_modules\/(tsx|typescript|esbuild|miniflare|wrangler|vitest)\//.test(i))).toEqual([])
  })

  it('is built from nothing the image build does not copy', async () => {
    const dockerfile = await readFile(join(import.meta.dirname, '..', 'infra', 'docker', 'Dockerfile'), 'utf8')
    const copied = new Set([...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/)))
    const sources = new Set(Object.keys(built.metafile.inputs).filter((i) => !i.startsWith('node_modules/')).map((i) => i.split('/')[0]!))
    expect([...sources].filter((s) => !copied.has(s))).toEqual([])
  })

  it('knows when it is stale: missing, or older than a source it was built from', async () => {
    expect(await staleness(out)).toBeUndefined()
    await utimes(built.entry, new Date(0), new Date(0))
    expect(await staleness(out)).toMatch(/ changed$/)
    await rm(join(out, 'meta.json'))
    expect(await staleness(out)).toMatch(/drover\.mjs is missing$/)
  })
})
