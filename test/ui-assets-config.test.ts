// The edge serves the web UI as Workers static assets, configured twice: wrangler.toml's [assets] (deploys,
// the workerd tests) and infra/edge/ui-assets.ts (the local edge of `npm start` and the stack tests). These
// hold them equal, and check that every path the worker answers runs the worker first (else the SPA
// fallback would answer an API call with index.html).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { UI_DIR } from '../infra/build/ui.ts'
import { NOT_FOUND_HANDLING, RUN_WORKER_FIRST } from '../infra/edge/ui-assets.ts'

const ROOT = join(import.meta.dirname, '..')

/** A run_worker_first pattern as the asset router reads it: `*` is any run of characters. */
const matches = (pattern: string, path: string) => new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(path)

describe('the web UI as static assets', () => {
  for (const env of [undefined, 'production']) {
    it(`wrangler.toml${env ? ` (--env ${env})` : ''} says what the local edge does`, () => {
      const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml'), ...(env ? { env } : {}) })
      expect(config.assets?.directory && join(ROOT, config.assets.directory)).toBe(UI_DIR)
      expect(config.assets?.not_found_handling).toBe(NOT_FOUND_HANDLING)
      expect(config.assets?.run_worker_first).toEqual(RUN_WORKER_FIRST)
    })
  }

  it('every route of the worker runs before the assets, and the app’s own routes do not', () => {
    const app = readFileSync(join(ROOT, 'workers', 'app.ts'), 'utf8')
    const mounted = [...app.matchAll(/app\.(?:route|get|use|all)\('(\/[^'*]*)/g)].map((m) => m[1]!.replace(/\/$/, ''))
    expect(mounted.length).toBeGreaterThan(5)
    for (const path of mounted) {
      expect(RUN_WORKER_FIRST.some((p) => matches(p, path)), `${path} is not in run_worker_first`).toBe(true)
      expect(RUN_WORKER_FIRST.some((p) => matches(p, `${path}/x`)), `${path}/x is not in run_worker_first`).toBe(true)
    }
    for (const page of ['/', '/clusters', '/clusters/import', '/login', '/assets/index-abc.js', '/v3x']) {
      expect(RUN_WORKER_FIRST.some((p) => matches(p, page)), page).toBe(false)
    }
  })
})
