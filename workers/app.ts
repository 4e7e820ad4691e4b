import { Hono } from 'hono'
import { notFound, onError } from './errors.ts'

export type Bindings = Record<string, never>

export function createApp() {
  const app = new Hono<{ Bindings: Bindings }>()
  // Rancher answers /ping with "pong"; load balancers and agents use it as a liveness probe.
  app.get('/ping', (c) => c.text('pong'))
  app.notFound(notFound)
  app.onError(onError)
  return app
}
