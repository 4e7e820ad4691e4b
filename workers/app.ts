import { Hono } from 'hono'
import type { Authenticator } from './auth/authenticator.ts'
import { requireUser } from './auth/middleware.ts'
import { staticTokenAuthenticator } from './auth/static-tokens.ts'
import type { AppEnv, Bindings } from './env.ts'
import { notFound, onError } from './errors.ts'
import { connect } from './routes/connect.ts'
import { k8sProxy } from './routes/k8s-proxy.ts'

export interface AppOptions {
  authenticator?: (env: Bindings) => Authenticator
}

export function createApp(opts: AppOptions = {}) {
  const authenticatorFor = opts.authenticator ?? ((env: Bindings) => staticTokenAuthenticator(env.DROVER_STATIC_TOKENS))
  const app = new Hono<AppEnv>()
  app.use(async (c, next) => {
    c.set('authenticator', authenticatorFor(c.env))
    await next()
  })
  // Rancher answers /ping with "pong"; load balancers and agents use it as a liveness probe.
  app.get('/ping', (c) => c.text('pong'))
  app.route('/v3/connect', connect)
  app.use('/k8s/clusters/*', requireUser)
  app.route('/k8s/clusters', k8sProxy)
  app.notFound(notFound)
  app.onError(onError)
  return app
}
