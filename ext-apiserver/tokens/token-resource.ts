// `tokens.ext.cattle.io` (Rancher 2.12+): a drover user's own API tokens, by kubectl. A user creates,
// reads, lists, updates (description, enabled) and deletes only their own; a caller allowed `list` on
// tokens.management.cattle.io sees everyone's. Others' tokens answer 404, as in Rancher.
import * as v from 'valibot'
import { EXT_API_VERSION, EXT_TOKEN } from '../../protocol/api/ext.ts'
import type { Token } from '../../protocol/crds/index.ts'
import { mgmt } from '../../protocol/kube/index.ts'
import type { ExtContext } from '../context.ts'
import { parseObject } from '../server/parse.ts'
import { rancherUser, seesAllTokens } from '../users/caller.ts'
import type { ExtResource, ListRequest, ObjectRequest, UpdateRequest } from '../server/resource.ts'
import { statusError } from '../server/status.ts'
import { extTokens, issueExtToken, minutesSetting, presentExtToken, readableToken, TOKEN } from './store.ts'
import { nameFromFieldSelector } from './selectors.ts'

const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

const createSchema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('Token'),
  metadata: v.optional(v.looseObject({})),
  spec: v.optional(v.looseObject({
    // Rancher refuses a token for someone else; empty means the caller.
    userID: v.optional(v.string()),
    description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
    ttl: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    clusterName: v.optional(v.pipe(v.string(), v.check((c) => c === '' || CLUSTER_ID.test(c), 'a cluster id'))),
    enabled: v.optional(v.boolean()),
    kind: v.optional(v.string()),
  })),
})

const updateSchema = v.looseObject({
  spec: v.looseObject({
    description: v.optional(v.pipe(v.string(), v.maxLength(1024))),
    enabled: v.optional(v.boolean()),
    ttl: v.optional(v.number()),
    userID: v.optional(v.string()),
    clusterName: v.optional(v.string()),
  }),
})

/** The request's TTL in ms within `auth-token-max-ttl-minutes` (Rancher: absent means the maximum). */
export function tokenTtlMs(requested: number | undefined, maxMinutes: number): number {
  const maxMs = maxMinutes * 60_000
  if (!requested) return maxMs
  if (maxMs > 0 && requested > maxMs) throw statusError(422, `spec.ttl: ${requested} ms exceeds auth-token-max-ttl-minutes (${maxMs} ms)`)
  return requested
}

export function extTokenResource(ctx: ExtContext): ExtResource {
  const { client, logger } = ctx
  const typed = (t: Token) => ({ apiVersion: EXT_API_VERSION, kind: 'Token', ...presentExtToken(t) })
  /** The token the caller may touch; one that is not theirs reads as absent unless they see all. */
  const readable = async (req: ObjectRequest) => {
    const all = await seesAllTokens(ctx, req.user, req.signal)
    const me = all ? undefined : await rancherUser(client, req.user, req.signal)
    return readableToken(client, req.name, me?.userId ?? '', all, req.signal)
  }
  return {
    type: EXT_TOKEN,
    verbs: ['create', 'get', 'list', 'update', 'patch', 'delete'],
    async create(req) {
      const { spec = {} } = parseObject(createSchema, req.body)
      const caller = await rancherUser(client, req.user, req.signal)
      if (spec.userID && spec.userID !== caller.userId) throw statusError(400, 'unable to create token for other user')
      if (spec.enabled === false) throw statusError(422, 'spec.enabled: a new token is enabled')
      if (spec.clusterName) {
        // As Rancher: the cluster must exist and the caller must be allowed to get it.
        const decision = await ctx.authorizer.authorize(req.user, { kind: 'resource', verb: 'get', group: 'management.cattle.io', version: 'v3', resource: 'clusters', name: spec.clusterName }, req.signal)
        if (!decision.allowed || !(await client.find(mgmt('Cluster'), spec.clusterName, undefined, { signal: req.signal }))) throw statusError(400, `cluster ${spec.clusterName} not found`)
      }
      const ttlMs = tokenTtlMs(spec.ttl, await minutesSetting(client, 'auth-token-max-ttl-minutes', req.signal))
      const issued = await issueExtToken(client, caller, { ttlMs, description: spec.description ?? '', dryRun: req.dryRun, signal: req.signal, ...(spec.clusterName ? { clusterName: spec.clusterName } : {}) })
      if (!req.dryRun) logger.info({ user: caller.userId, token: issued.token.metadata.name, cluster: spec.clusterName || undefined, ttlMs }, 'ext token created')
      const shown = typed(issued.token)
      // The only answer that carries the secret: Rancher's `value`, and the ready-made bearer form.
      return req.dryRun ? shown : { ...shown, status: { ...shown.status, value: issued.secret, bearerToken: issued.value } }
    },
    async get(req) {
      return typed(await readable(req))
    },
    async list(req: ListRequest) {
      const all = await seesAllTokens(ctx, req.user, req.signal)
      const me = all ? undefined : await rancherUser(client, req.user, req.signal)
      const only = nameFromFieldSelector(req.fieldSelector)
      const items = await extTokens(client, me?.userId, req.labelSelector ?? '', req.signal)
      return items.filter((t) => only === undefined || t.metadata.name === only).map(typed)
    },
    async update(req: UpdateRequest) {
      const current = await readable(req)
      const { spec } = parseObject(updateSchema, req.body)
      const was = presentExtToken(current).spec
      // Only the description and the enabled flag change; the rest of spec is immutable here.
      for (const field of ['ttl', 'userID', 'clusterName'] as const) {
        if (spec[field] !== undefined && spec[field] !== was[field]) throw statusError(422, `spec.${field} is immutable`)
      }
      const patch = { metadata: { resourceVersion: current.metadata.resourceVersion }, description: spec.description ?? was.description, enabled: spec.enabled ?? was.enabled }
      const updated = req.dryRun ? { ...current, description: patch.description, enabled: patch.enabled } : await client.patch<Token>(TOKEN, req.name, patch, { signal: req.signal })
      if (!req.dryRun) logger.info({ by: req.user.name, token: req.name, enabled: patch.enabled }, 'ext token updated')
      return typed(updated)
    },
    async delete(req) {
      const t = await readable(req)
      // The uid precondition: never a newer token that reused the name. The runner revokes the name at the
      // edge once the CR is gone; the edge's next check of the value finds no CR anyway.
      if (!req.dryRun) await client.delete(TOKEN, req.name, { preconditions: { uid: t.metadata.uid! }, signal: req.signal })
      logger.info({ by: req.user.name, token: req.name, dryRun: req.dryRun }, 'ext token deleted')
      return typed(t)
    },
  }
}
