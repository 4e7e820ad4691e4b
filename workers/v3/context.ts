import type { Context } from 'hono'
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import type { Links } from '../norman/format.ts'

export type V3Context = Context<AppEnv>

/** The management cluster as the caller: its RBAC decides (DESIGN.md, flow 1). */
export function userKube(c: V3Context): KubeClient {
  return c.var.management.as(c.var.principal.identity)
}

/** The management cluster as the edge itself, for what the edge must do on a user's behalf. */
export function edgeKube(c: V3Context): KubeClient {
  return c.var.management.as(EDGE_IDENTITY)
}

export function origin(c: V3Context): string {
  return new URL(c.req.url).origin
}

export function linksFor(c: V3Context, collection: string): Links {
  return { base: `${origin(c)}/v3`, collection }
}
