// A request through the one client's transport with an Accept header of our choosing (Tables, aggregated
// discovery), which KubeClient's own methods do not take. Failures are the client's KubeError.
import { KUBE_ORIGIN, KubeError, type KubeClient } from '../../protocol/kube/index.ts'

export interface JsonRequest {
  accept?: string
  body?: unknown
  contentType?: string
}

export async function requestJson<T>(client: KubeClient, method: string, path: string, opts: JsonRequest = {}): Promise<T> {
  const headers = new Headers({ accept: opts.accept ?? 'application/json' })
  const init: RequestInit = { method, headers }
  if (opts.body !== undefined) {
    headers.set('content-type', opts.contentType ?? 'application/json')
    init.body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  }
  const res = await client.transport(new Request(`${KUBE_ORIGIN}${path}`, init))
  const text = await res.text()
  if (!res.ok) throw KubeError.fromResponse(method, path, res.status, text)
  try {
    return (text ? JSON.parse(text) : undefined) as T
  } catch {
    throw new KubeError(502, 'BadGateway', `${method} ${path.split('?')[0]}: the cluster answered with a body that is not JSON`)
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}
