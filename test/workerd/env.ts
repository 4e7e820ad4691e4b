// The type of `env` from `cloudflare:test` in the workerd tests: the test entry's bindings plus what
// vitest.config.ts adds for the fast management API tests.
import type { TestBindings } from './worker.ts'

declare global {
  // Cloudflare.Env is the declaration-merging point workers-types offers for the type of `env`.
  namespace Cloudflare {
    interface Env extends TestBindings {
      /** Cluster `local` without a tunnel or agent: test/support/management-relay.ts. */
      MANAGEMENT: Fetcher
      /** The management cluster's bootstrap admin (`admin`). */
      MANAGEMENT_ADMIN_PASSWORD: string
    }
  }
}
