/**
 * Memory of the Node programs, run from source through tsx (`node bin/drover.js`) and bundled
 * (`node dist/drover.mjs`, as `drover start` and the image run them), in the same run against the same
 * lite management cluster and local edge: each agent connected and idle, each runner leading with its
 * caches synced, for SETTLE_MS before RSS is read from /proc (VmRSS, and VmHWM for the peak). The tsx
 * rows count the esbuild service tsx starts as a child process too.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensurePrograms, PROGRAMS_DIR, PROGRAMS_ENTRY } from '../infra/build/programs.ts'
import { generateEdgeSecrets } from '../infra/edge/secrets.ts'
import { downstreamRbac, managementRbac } from '../infra/management/index.ts'
import { devCluster } from '../test/support/dev-cluster.ts'
import { startEdge } from '../test/support/proxy-fixture.ts'
import { descendants } from './proc-cpu.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const SETTLE_MS = Number(process.env.RSS_SETTLE_MS ?? 20_000)
const ROOT = join(import.meta.dirname, '..')
const VARIANTS = { tsx: join(ROOT, 'bin', 'drover.js'), bundled: join(PROGRAMS_DIR, PROGRAMS_ENTRY) }
type Variant = keyof typeof VARIANTS

interface Memory {
  rssKiB: number
  hwmKiB: number
  /** RSS of the process and all its descendants. */
  treeKiB: number
}

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line)
    if (m) out[m[1]!] = Number(m[2])
  }
  return out
}

function memory(pid: number): Memory {
  const own = status(pid)
  const tree = descendants(pid).reduce((sum, c) => sum + (status(c).VmRSS ?? 0), own.VmRSS ?? 0)
  return { rssKiB: own.VmRSS ?? 0, hwmKiB: own.VmHWM ?? 0, treeKiB: tree }
}

/** Starts a program, waits for `ready` in its output, lets it settle, reads its memory, stops it. */
async function measure(variant: Variant, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Memory> {
  const child: ChildProcess = spawn(process.execPath, [VARIANTS[variant], ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)))
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)))
  const exited = new Promise((r) => child.once('exit', r))
  try {
    const deadline = Date.now() + 120_000
    while (!ready.test(out)) {
      if (child.exitCode !== null) throw new Error(`${variant} ${args[0]} exited (${child.exitCode}):\n${out}`)
      if (Date.now() > deadline) throw new Error(`${variant} ${args[0]} not ready in 120 s:\n${out}`)
      await sleep(100)
    }
    await sleep(SETTLE_MS)
    if (child.exitCode !== null) throw new Error(`${variant} ${args[0]} exited (${child.exitCode}) while settling:\n${out}`)
    return memory(child.pid!)
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1).padStart(7)

async function main(): Promise<void> {
  await ensurePrograms({ log })
  log('starting a lite management cluster and the edge')
  await using cluster = await devCluster('bench-rss', { mode: 'lite' })
  const items = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cattle-system' } }, ...managementRbac(), ...downstreamRbac()]
  const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) })
  if (applied.code !== 0) throw new Error(applied.stderr)
  const secrets = await generateEdgeSecrets()
  await using edge = await startEdge([], {}, { ...secrets })

  const rows: [string, Variant, Memory][] = []
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    log(`${variant} agent: connecting, then ${SETTLE_MS / 1000} s idle`)
    rows.push(['agent', variant, await measure(variant, ['agent', '--server', edge.url.origin, '--kubeconfig', cluster.kubeconfigPath], { DROVER_AGENT_TOKEN: secrets.DROVER_LOCAL_AGENT_TOKEN, NODE_EXTRA_CA_CERTS: edge.caFile }, /connected to the edge/)])
  }
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    log(`${variant} runner: leading, then ${SETTLE_MS / 1000} s`)
    const args = ['runner', '--kubeconfig', cluster.kubeconfigPath, '--edge-url', edge.url.origin, '--edge-ca', edge.caFile, '--server-url', edge.url.origin, '--metrics-addr', '127.0.0.1:0']
    rows.push(['runner', variant, await measure(variant, args, { DROVER_EDGE_TOKEN: secrets.DROVER_RUNNER_TOKEN }, /became leader/)])
  }

  process.stdout.write(`\nMemory after ${SETTLE_MS / 1000} s at steady state (MiB; Node ${process.version})\n`)
  process.stdout.write('program  run from   VmRSS   VmHWM  with children\n')
  for (const [program, variant, m] of rows) process.stdout.write(`${program.padEnd(8)} ${variant.padEnd(8)} ${mib(m.rssKiB)} ${mib(m.hwmKiB)} ${mib(m.treeKiB)}\n`)
  for (const program of ['agent', 'runner']) {
    const [tsx, bundled] = (['tsx', 'bundled'] as const).map((v) => rows.find((r) => r[0] === program && r[1] === v)![2])
    process.stdout.write(`${program}: bundled/tsx VmRSS ${(bundled!.rssKiB / tsx!.rssKiB).toFixed(2)}, with children ${(bundled!.treeKiB / tsx!.treeKiB).toFixed(2)}\n`)
  }
}

await main()
