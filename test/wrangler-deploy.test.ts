import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
// The pinned wrangler (its bundler and wrangler.toml handling, exactly as `wrangler deploy` runs them);
// the local edge runs the Miniflare and workerd it pins (infra/edge/local-edge.ts).
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler')

describe('wrangler deploy --dry-run --env production', () => {
  const out = mkdtempSync(join(tmpdir(), 'drover-wrangler-'))
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('bundles the edge with every binding, and the bundle holds no eval or new Function', async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      // On this test's Node (the pinned one), whatever `node` is first on PATH.
      execFile(
        process.execPath,
        [WRANGLER, 'deploy', '--dry-run', '--env', 'production', '--outdir', out],
        { cwd: ROOT, timeout: 90_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' } },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, output: `${stdout}\n${stderr}` }),
      )
    })
    expect(code, output).toBe(0)
    expect(output).toContain('--dry-run: exiting now')
    for (const binding of ['env.TUNNEL (ClusterTunnel)', 'env.TOKENS (TokenState)', 'env.THROTTLE (LoginThrottle)', 'env.CACHE (ClusterIndex)', 'env.REPLAY (ReplayGuard)']) expect(output).toContain(binding)
    expect(output).not.toMatch(/DROVER_STATIC_TOKENS/)
    // The edge's metrics go to Workers Analytics Engine in production (objects/metrics/edge-metrics.ts).
    expect(output).toMatch(/env\.METRICS\s+\(drover_edge\)\s+Analytics Engine Dataset/)

    const bundles = readdirSync(out).filter((f) => f.endsWith('.js'))
    expect(bundles).toEqual(['index.js'])
    const js = readFileSync(join(out, 'index.js'), 'utf8')
    expect(js.length).toBeGreaterThan(10_000)
    // Production Workers refuse code generation from strings (DESIGN.md, security rules).
    expect(js).not.toMatch(/\beval\s*\(/)
    expect(js).not.toMatch(/\bnew\s+Function\s*\(/)
    expect(js).toMatch(/export\s*\{[^}]*ClusterTunnel/)
    expect(js).toMatch(/export\s*\{[^}]*ClusterIndex/)
    // The fixed test tokens live in the test entry only (test/workerd/worker.ts): no code path to them here.
    expect(js).not.toMatch(/DROVER_STATIC_TOKENS/)
  })
})
