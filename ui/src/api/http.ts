// The one way the UI talks to the edge: same-origin fetch with the R_SESS cookie (never a token the page
// holds), JSON in and out. Browsers add `Origin` and `Sec-Fetch-Site: same-origin` to these requests,
// which is what the edge checks on every state-changing call a cookie authenticates.

/** A refusal from the edge, carrying the message of its error body (Rancher's and Steve's `{message}`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Called with every 401 of a call that needed a session: the session has ended elsewhere. */
let unauthorized: () => void = () => {}
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' && body.message) return body.message
  return undefined
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await res.text()
  let parsed: unknown = undefined
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = text
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) unauthorized()
    throw new HttpError(res.status, messageOf(parsed) ?? `${method} ${path}: ${res.status} ${res.statusText}`)
  }
  return parsed as T
}

export const get = <T>(path: string, opts?: { quiet401?: boolean }) => request<T>('GET', path, undefined, opts)
export const post = <T = unknown>(path: string, body: unknown = {}, opts?: { quiet401?: boolean }) => request<T>('POST', path, body, opts)

/** A path on this origin from a URL the edge wrote (it writes absolute ones): the page never follows another origin. */
export function sameOriginPath(url: string): string {
  // Through globalThis: unit tests in Node type-check this file without the DOM's globals.
  const here = (globalThis as unknown as { location: { origin: string } }).location.origin
  const u = new URL(url, here)
  if (u.origin !== here) throw new Error(`refusing to call ${u.origin}: not this server`)
  return `${u.pathname}${u.search}`
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
