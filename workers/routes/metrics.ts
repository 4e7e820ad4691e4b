import { Hono, type MiddlewareHandler } from 'hono'
import { prometheusText, recordRequest } from '../../objects/metrics/edge-metrics.ts'
import { secretsEqual } from '../identity/compare.ts'
import type { AppEnv } from '../env.ts'
import { notFound } from '../errors.ts'

const length = (h: Headers) => {
  const n = Number(h.get('content-length') ?? 0)
  return Number.isFinite(n) && n > 0 ? n : 0
}

/** Counts every request the worker answers (objects/metrics/edge-metrics.ts), after its response is known. */
export const requestMetrics: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now()
  await next()
  const path = new URL(c.req.url).pathname
  if (path === '/metrics') return
  const cluster = /^\/k8s\/clusters\/([^/]+)/.exec(path)?.[1]
  recordRequest(c.env?.METRICS, {
    path, method: c.req.method, status: c.res.status, latencyMs: Date.now() - started,
    bytesIn: length(c.req.raw.headers), bytesOut: length(c.res.headers), ...(cluster ? { cluster } : {}),
  })
}

/**
 * `GET /metrics`: the local edge's figures as Prometheus text, for a bearer of `DROVER_METRICS_TOKEN`;
 * without that binding the path does not exist. Meant for the local stack, where one workerd isolate holds
 * the worker and every tunnel object; a production deploy has many isolates and ships its figures to
 * Workers Analytics Engine instead (binding METRICS), so it leaves the token unset.
 */
export const metrics = new Hono<AppEnv>().get('/', async (c) => {
  const want = c.env.DROVER_METRICS_TOKEN
  if (!want) return notFound(c)
  const got = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? ''
  if (!(await secretsEqual(got, want))) return c.json({ type: 'error', status: 401, code: 'Unauthorized', message: 'scraping /metrics needs Authorization: Bearer <DROVER_METRICS_TOKEN>' }, 401)
  return c.text(prometheusText(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' })
})
