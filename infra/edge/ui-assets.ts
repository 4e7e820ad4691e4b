// The web UI as the edge's Workers static assets: the same settings as wrangler.toml's `[assets]` (a test
// holds the two equal, test/ui-assets-config.test.ts), in the shape Miniflare takes them.
import { API_PREFIXES, UI_DIR } from '../build/ui.ts'

/**
 * Paths the worker answers before any asset is looked up: every API prefix, bare and with anything under
 * it. Everything else is the app: a file of dist/ui, or index.html for the app's own routes (SPA).
 */
export const RUN_WORKER_FIRST: readonly string[] = API_PREFIXES.flatMap((p) => [p, `${p}/*`])

export const NOT_FOUND_HANDLING = 'single-page-application'

/** Miniflare's `assets` option; `dist/ui/_headers` (ui/public/_headers) is read by Miniflare itself. */
export function uiAssets(directory: string = UI_DIR) {
  return {
    directory,
    run_worker_first: [...RUN_WORKER_FIRST],
    routerConfig: { has_user_worker: true },
    assetConfig: { not_found_handling: NOT_FOUND_HANDLING } as const,
  }
}
