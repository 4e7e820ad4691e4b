// The edge as the workerd tests and the test stacks (test/support/proxy-fixture.ts) run it: production's
// app and Durable Objects, plus the fixed test tokens of the `DROVER_STATIC_TOKENS` binding, which the
// deployed worker (workers/index.ts) has no code path for.
import { createApp } from '../../workers/app.ts'
import { droverAuthenticator } from '../../workers/identity/drover-authenticator.ts'
import type { Bindings } from '../../workers/env.ts'
import { withStaticTokens } from './static-tokens.ts'

export { ClusterTunnel, LoginThrottle, TokenState } from '../../objects/index.ts'

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
