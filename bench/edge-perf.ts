/**
 * Where workerd's own CPU goes, native code included: Linux `perf` samples the edge process while a load
 * runs, and the symbols are summed by the part of the runtime they belong to. The V8 profile
 * (edge-profile.ts) sees only JavaScript; this shows what the runtime spends around it. Skipped, with the
 * reason, where `perf` is missing or not permitted.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type PerfResult = { shares: [string, number][] } | { skipped: string }

const CATEGORIES: [string, (sym: string, kernel: boolean) => boolean][] = [
  ['kernel (sockets, scheduling)', (_s, k) => k],
  ['JavaScript run (JIT code and V8 builtins)', (s) => /^0x[0-9a-f]+$/.test(s) || s.startsWith('Builtins_')],
  ['V8 runtime and GC', (s) => s.startsWith('v8::') || s.startsWith('Runtime_') || s.startsWith('cppgc') || s.includes('v8::internal')],
  ['malloc, free, memcpy', (s) => /tcmalloc|^TCMalloc|^__mem|^malloc|^free|^operator (new|delete)/i.test(s)],
  ['JS/C++ glue (jsg)', (s) => s.startsWith('workerd::jsg')],
  ['web APIs (Request, Response, Headers, streams, WebSocket)', (s) => s.startsWith('workerd::api')],
  ['workerd other (IoContext, objects, server)', (s) => s.startsWith('workerd')],
  ['HTTP server (Rust hyper, tokio)', (s) => /hyper|tokio|futures_util/.test(s)],
  ['event loop and promises (kj, capnp)', (s) => s.startsWith('kj') || s.startsWith('capnp')],
  ['TLS (BoringSSL)', (s) => /ssl|aes|gcm|sha256_block/i.test(s)],
]

/** Starts `perf record` on `pid`; `stop()` ends it and sums the samples by category. */
export function recordPerf(pid: number): { stop(): Promise<PerfResult> } {
  if (spawnSync('perf', ['--version']).status !== 0) return { stop: async () => ({ skipped: 'perf is not installed (Debian: linux-perf)' }) }
  const file = join(mkdtempSync(join(tmpdir(), 'drover-perf-')), 'perf.data')
  const child = spawn('perf', ['record', '-F', '999', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return {
    async stop() {
      child.kill('SIGINT')
      const { code, signal } = await exited
      // perf ends on SIGINT with the samples written.
      if (code !== 0 && signal !== 'SIGINT') return { skipped: `perf record failed (${code ?? signal}): ${stderr.trim().split('\n').slice(-2).join(' ')}` }
      const report = spawnSync('perf', ['report', '-i', file, '--no-children', '--sort', 'sym', '--stdio'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      if (report.status !== 0) return { skipped: `perf report failed: ${report.stderr.trim().slice(0, 200)}` }
      const sums = new Map<string, number>()
      for (const m of report.stdout.matchAll(/^\s*([\d.]+)%\s+\[(.)\]\s+(.+)$/gm)) {
        const [pct, kind, sym] = [Number(m[1]), m[2], m[3]!.trim()]
        const category = CATEGORIES.find(([, test]) => test(sym, kind === 'k'))?.[0] ?? 'other'
        sums.set(category, (sums.get(category) ?? 0) + pct)
      }
      return { shares: [...sums].sort((a, b) => b[1] - a[1]) }
    },
  }
}
