// Every `/v1` failure as Steve's error body, in one place. Steve passes the apiserver's refusals on with
// the apiserver's own status and its Status reason as the code (403 Forbidden, 404 NotFound, 409
// AlreadyExists, 422 Invalid, …); the contract's SteveErrors (bad queries, unknown types) and the edge's
// own ApiErrors already carry a status and a code.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { STEVE_ERROR_CODES, SteveError, type SteveErrorBody } from '../../protocol/api/steve/index.ts'
import { KubeError } from '../../protocol/kube/index.ts'
import { ApiError, onError } from '../errors.ts'

const CODE_BY_STATUS = new Map<number, string>(Object.entries(STEVE_ERROR_CODES).map(([code, status]) => [status, code]))

export function steveError(err: unknown): SteveError | undefined {
  if (err instanceof SteveError) return err
  if (err instanceof ApiError) return new SteveError(err.status, err.code, err.message)
  if (err instanceof KubeError) return fromKube(err)
  return undefined
}

function fromKube(err: KubeError): SteveError {
  const body = err.body as (Record<string, unknown> & { message?: unknown; reason?: unknown; code?: unknown }) | undefined
  // 401 from an apiserver means the agent's own credential failed, not the caller's: a gateway failure.
  const status = err.status === 401 || err.status < 400 || err.status > 599 ? 502 : err.status
  const reason = typeof body?.reason === 'string' && body.reason ? body.reason : typeof body?.code === 'string' && body.code ? body.code : undefined
  const code = status === err.status && reason ? reason : (CODE_BY_STATUS.get(status) ?? 'ServerError')
  const message = typeof body?.message === 'string' && body.message ? body.message : `the cluster answered HTTP ${err.status}`
  return new SteveError(status, code, message)
}

/** The sub-app's error handler: Steve bodies for what it knows, the edge's for anything else. */
export function onSteveError(err: Error, c: Context): Response {
  const steve = steveError(err)
  if (!steve) return onError(err, c)
  const body: SteveErrorBody = steve.body()
  // Unavailable for now (a cluster not connected, a list cache still listing): clients may retry.
  if (steve.status === 503) c.header('retry-after', '5')
  return c.json(body, steve.status as ContentfulStatusCode)
}
