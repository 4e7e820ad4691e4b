// One request through the extension server, in kube-apiserver's order: probes (no authentication, for the
// kubelet's and the operator's checks), front-proxy authentication (401), the request's verb and resource,
// authorization against the management cluster (403), then the route: discovery, or a resource's handler
// for the verb (404 unknown, 405 verb not served; a merge PATCH is get + update). Every failure is a
// Status, produced in `handle`'s one catch.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { EXT_GROUP, EXT_VERSION } from '../../protocol/api/ext.ts'
import { apiVersionOf } from '../../protocol/kube/resource.ts'
import { errorText } from '../../node/log.ts'
import type { Attributes, Decision } from './authorizer.ts'
import { readJsonBody } from './body.ts'
import { apiGroup, apiGroupList, apiResourceList } from './discovery.ts'
import { authenticate } from './front-proxy.ts'
import { StatusError, type ExtResource, type RequestUser } from './resource.ts'
import { sendJson, sendStatus, statusError } from './status.ts'

export interface HandlerOptions {
  resources: readonly ExtResource[]
  allowedNames: readonly string[]
  authorizer: { authorize(user: RequestUser, attrs: Attributes, signal?: AbortSignal): Promise<Decision> }
  logger: Logger
  /** The largest body a handler gets (default 1 MiB). */
  maxBodyBytes?: number
}

const MERGE_PATCH = 'application/merge-patch+json'
const PROBES = new Set(['/healthz', '/readyz', '/livez'])
const READS = new Set(['GET', 'HEAD'])
const ROOT = `/apis/${EXT_GROUP}/${EXT_VERSION}`
const DISCOVERY: Record<string, (resources: readonly ExtResource[]) => object> = {
  '/apis': apiGroupList,
  [`/apis/${EXT_GROUP}`]: apiGroup,
  [ROOT]: apiResourceList,
}

export function extHandler(opts: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const byPlural = new Map(opts.resources.map((r) => [r.type.plural, r]))
  return (req, res) => {
    const abort = new AbortController()
    res.once('close', () => abort.abort())
    handle(req, res, abort.signal).catch((e: unknown) => {
      if (!(e instanceof StatusError)) {
        opts.logger.error({ method: req.method, path: req.url?.split('?')[0], err: errorText(e) }, 'request failed')
        e = statusError(500, 'Internal error occurred: the extension API server failed to handle the request (see its log)')
      }
      if (res.headersSent) return void res.destroy()
      sendStatus(res, e as StatusError)
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://ext.invalid')
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
    const method = req.method ?? 'GET'
    if (PROBES.has(path)) {
      if (!READS.has(method)) throw statusError(405, `${method} is not allowed on ${path}`)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return
    }
    const auth = authenticate(req, opts)
    if (!auth.ok) {
      opts.logger.info({ method, path, reason: auth.reason }, 'unauthenticated request refused')
      throw statusError(401, 'Unauthorized')
    }
    const user = auth.user
    const document = DISCOVERY[path]
    if (document) {
      if (!READS.has(method)) throw statusError(405, `${method} is not allowed on ${path}`)
      await authorize(user, { kind: 'path', verb: 'get', path }, `User "${user.name}" cannot get path "${path}"`, signal)
      return sendJson(res, 200, document(opts.resources))
    }
    if (!path.startsWith(`${ROOT}/`)) throw statusError(404, 'the server could not find the requested resource')
    const [plural = '', name, subresource, ...rest] = path.slice(ROOT.length + 1).split('/').map(segment)
    const verb = verbOf(method, name !== undefined, url.searchParams.get('watch'))
    if (!verb || rest.length) throw statusError(405, `${method} is not allowed on ${path}`)
    await authorize(
      user,
      { kind: 'resource', verb, group: EXT_GROUP, version: EXT_VERSION, resource: subresource ? `${plural}/${subresource}` : plural, ...(name ? { name } : {}) },
      `${plural}.${EXT_GROUP}${name ? ` "${name}"` : ''} is forbidden: User "${user.name}" cannot ${verb} resource "${plural}" in API group "${EXT_GROUP}" at the cluster scope`,
      signal,
    )
    const resource = byPlural.get(plural)
    if (!resource || subresource !== undefined) throw statusError(404, 'the server could not find the requested resource')
    const unsupported = () => statusError(405, `${resource.type.kind} does not support ${verb} (supported: ${resource.verbs.join(', ')})`)
    if (!resource.verbs.includes(verb)) throw unsupported()
    const dryRun = url.searchParams.getAll('dryRun')
    if (dryRun.some((v) => v !== 'All')) throw statusError(400, `dryRun must be "All", not "${dryRun.join(',')}"`)
    const typed = (obj: unknown) => {
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${resource.type.plural} ${verb} returned no object`)
      return { ...obj, apiVersion: apiVersionOf(resource.type), kind: resource.type.kind }
    }
    const one = { name: name ?? '', user, dryRun: dryRun.length > 0, signal }
    switch (verb) {
      case 'create': {
        if (!resource.create) throw unsupported()
        const body = await readJsonBody(req, opts.maxBodyBytes)
        return sendJson(res, 201, typed(await resource.create({ body, user, dryRun: dryRun.length > 0, signal })))
      }
      case 'get':
        if (!resource.get) throw unsupported()
        return sendJson(res, 200, typed(await resource.get(one)))
      case 'list': {
        if (!resource.list) throw unsupported()
        const selectors = { fieldSelector: url.searchParams.get('fieldSelector') || undefined, labelSelector: url.searchParams.get('labelSelector') || undefined }
        const items = (await resource.list({ user, signal, ...selectors })).map(typed)
        return sendJson(res, 200, { apiVersion: apiVersionOf(resource.type), kind: `${resource.type.kind}List`, metadata: { resourceVersion: '' }, items })
      }
      case 'delete':
        if (!resource.delete) throw unsupported()
        return sendJson(res, 200, typed(await resource.delete(one)))
      case 'update': {
        if (!resource.update) throw unsupported()
        const body = await readJsonBody(req, opts.maxBodyBytes)
        return sendJson(res, 200, typed(await resource.update({ ...one, body })))
      }
      case 'patch': {
        // A JSON merge patch onto what the caller may read, then an update: nothing else to keep in step.
        if (!resource.update || !resource.get || !resource.verbs.includes('update')) throw unsupported()
        const patch = await readJsonBody(req, opts.maxBodyBytes, [MERGE_PATCH])
        const current = await resource.get(one)
        return sendJson(res, 200, typed(await resource.update({ ...one, body: mergePatch(current, patch) })))
      }
      default:
        throw unsupported()
    }
  }

  async function authorize(user: RequestUser, attrs: Attributes, forbidden: string, signal: AbortSignal): Promise<void> {
    const decision = await opts.authorizer.authorize(user, attrs, signal)
    if (decision.allowed) return
    opts.logger.info({ user: user.name, ...attrs, reason: decision.reason }, 'request forbidden')
    throw statusError(403, decision.reason ? `${forbidden}: ${decision.reason}` : forbidden)
  }
}

/** RFC 7386: objects merge key by key, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw statusError(400, `malformed path segment "${raw}"`)
  }
}

/** kube-apiserver's verb for a method on a collection or a named object; undefined for none. */
function verbOf(method: string, named: boolean, watch: string | null): string | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch === 'true' || watch === '1' ? 'watch' : named ? 'get' : 'list'
    case 'POST':
      return named ? undefined : 'create'
    case 'PUT':
      return named ? 'update' : undefined
    case 'PATCH':
      return named ? 'patch' : undefined
    case 'DELETE':
      return named ? 'delete' : 'deletecollection'
    default:
      return undefined
  }
}
