// The edge as the workerd tests and the test stacks (test/support/proxy-fixture.ts) run it: production's
// app and Durable Objects, plus the fixed test tokens of the `DROVER_STATIC_TOKENS` binding, which the
// deployed worker (workers/index.ts) has no code path for.
import { ClusterIndex as ProductionClusterIndex, ClusterTunnel as ProductionClusterTunnel } from '../../objects/index.ts'
import type { TunnelTarget } from '../../objects/tunnel/envelope.ts'
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { createApp } from '../../workers/app.ts'
import { droverAuthenticator } from '../../workers/identity/drover-authenticator.ts'
import type { Bindings } from '../../workers/env.ts'
import { withStaticTokens } from './static-tokens.ts'

export { LoginThrottle, ReplayGuard, TokenState } from '../../objects/index.ts'

/**
 * The tunnel object with one call production's has not: a reset of the object, as workerd resets one on a
 * code update or when it breaks (its agent sockets dropped, its memory gone, its storage kept). The fault
 * tests (test/fault-reconnect.test.ts) call it through Miniflare while the rest of the edge runs on.
 */
export class ClusterTunnel extends ProductionClusterTunnel {
  resetForTest(reason: string): void {
    this.ctx.abort(reason)
  }
}

/**
 * The list index with cluster `local` sent to the MANAGEMENT relay (a real apiserver) when the test
 * project binds one; test stacks with real tunnels (no MANAGEMENT) get production's behaviour.
 */
export class ClusterIndex extends ProductionClusterIndex {
  protected override tunnel(cluster: string): TunnelTarget {
    const relay = (this.env as { MANAGEMENT?: Fetcher }).MANAGEMENT
    return cluster === LOCAL_CLUSTER && relay ? relay : super.tunnel(cluster)
  }
}

export interface TestBindings extends Bindings {
  /** JSON, see static-tokens.ts. */
  DROVER_STATIC_TOKENS?: string
}

let memo: { json: string | undefined; app: ReturnType<typeof createApp> } | undefined

function appFor(json: string | undefined): ReturnType<typeof createApp> {
  if (memo && memo.json === json) return memo.app
  const app = createApp({ authenticator: (env, management) => withStaticTokens(droverAuthenticator(env, management), json) })
  memo = { json, app }
  return app
}

export default {
  fetch: (req, env, ctx) => appFor(env.DROVER_STATIC_TOKENS).fetch(req, env, ctx),
} satisfies ExportedHandler<TestBindings>
