// Every failure the extension server answers is a Kubernetes `Status`, as kube-apiserver would send it, so
// kubectl and the edge show its message (and the aggregator passes it through unchanged).
import type { ServerResponse } from 'node:http'
import { StatusError } from './resource.ts'

/** HTTP code → the Status reason kube-apiserver uses for it (metav1.StatusReason). */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}

export const statusError = (code: number, message: string): StatusError => new StatusError(code, REASONS[code] ?? 'Unknown', message)

export function statusBody(e: StatusError): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' })
  res.end(text)
}

export function sendStatus(res: ServerResponse, e: StatusError): void {
  sendJson(res, e.code, statusBody(e))
}
