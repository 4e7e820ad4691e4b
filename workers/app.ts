import { Hono } from 'hono'
import { auditLog } from './audit/middleware.ts'
import type { Authenticator } from './identity/authenticator.ts'
import { requireUser } from './identity/middleware.ts'
import { droverAuthenticator } from './identity/drover-authenticator.ts'
import type { AppEnv, Bindings } from './env.ts'
import { notFound, onError } from './errors.ts'
import { tunnelObjects, type Management } from './mgmt/management.ts'
import { edgeHeaders } from './response-headers.ts'
import { noCrossSiteLogin, sameOriginForCookies } from './identity/origin-check.ts'
import { cacerts } from './routes/cacerts.ts'
import { connect } from './routes/connect.ts'
import { k8sProxy } from './routes/k8s-proxy.ts'
import { metrics, requestMetrics } from './routes/metrics.ts'
import { importManifest } from './routes/import.ts'
import { v3Public } from './identity/public-routes.ts'
import { samlSpRoutes } from './identity/providers/saml/index.ts'
import { system } from './routes/system.ts'
import { v3 } from './v3/index.ts'
import { clusterV1, v1 } from './v1/routes.ts'

export interface AppOptions {
  /** Kubernetes access; by default every cluster through its tunnel object, the management cluster being `local`. */
  management?: (env: Bindings) => Management
  authenticator?: (env: Bindings, management: Management) => Authenticator
}

export function createApp(opts: AppOptions = {}) {
  const managementFor = opts.management ?? tunnelObjects
  const authenticatorFor = opts.authenticator ?? droverAuthenticator
  const app = new Hono<AppEnv>()
  // The audit line wraps everything, so it records the response the client got (errors included).
  app.use(auditLog, requestMetrics)
  // Browser defences first, so that errors thrown anywhere get the edge's headers too.
  app.use(edgeHeaders, sameOriginForCookies)
  app.use('/v3-public/*', noCrossSiteLogin)
  app.use(async (c, next) => {
    const management = managementFor(c.env)
    c.set('management', management)
    c.set('authenticator', authenticatorFor(c.env, management))
    await next()
  })
  // Rancher answers /ping with "pong"; load balancers and agents use it as a liveness probe.
  app.get('/ping', (c) => c.text('pong'))
  app.route('/metrics', metrics)
  app.route('/cacerts', cacerts)
  app.route('/v3/connect', connect)
  app.route('/v3-public', v3Public)
  app.route('/v1-saml', samlSpRoutes)
  app.route('/v3/import', importManifest)
  app.route('/v3/system', system)
  app.route('/v3', v3)
  app.use('/v1/*', requireUser)
  app.route('/v1', v1)
  app.use('/k8s/clusters/*', requireUser)
  // Before the proxy: Steve's /v1 of a cluster is ours, not its apiserver's.
  app.route('/k8s/clusters/:id/v1', clusterV1)
  app.route('/k8s/clusters', k8sProxy)
  app.notFound(notFound)
  app.onError(onError)
  return app
}
