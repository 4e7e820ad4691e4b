import type { ObjectBindings } from '../objects/env.ts'
import type { Authenticator, Principal } from './identity/authenticator.ts'
import type { Management } from './mgmt/management.ts'

/** The worker's env: the Durable Object namespaces (typed with their classes) and the edge's secrets. */
export interface Bindings extends ObjectBindings {
  /** Secret: JSON array of private P-256 JWKs with `kid`; the first signs tokens (identity/jwt.ts). */
  DROVER_TOKEN_KEYS?: string
  /** Secret: `id:base64[,…]` password peppers, current first (protocol/api/password.ts). */
  DROVER_PASSWORD_PEPPERS?: string
  /** Secret: the agent token of cluster `local`, which cannot be checked through a tunnel that is not up yet. */
  DROVER_LOCAL_AGENT_TOKEN?: string
  /** Secret: the controller runner's credential; it acts as `system:drover:runner` in every cluster. */
  DROVER_RUNNER_TOKEN?: string
  /** Var or secret: the audit policy, JSON (workers/audit/policy.ts); no audit log when absent. */
  DROVER_AUDIT_POLICY?: string
  /** Secret: the bearer token that may scrape `/metrics` (the local stack's); no `/metrics` when absent. */
  DROVER_METRICS_TOKEN?: string
}

export interface Variables {
  /** Kubernetes APIs (the management cluster's, and others' through their tunnels) as any identity. */
  management: Management
  authenticator: Authenticator
  principal: Principal
}

export type AppEnv = { Bindings: Bindings; Variables: Variables }

/** Where a new tunnel object should live: near the agent that first connects (DESIGN.md, flow 5). */
export function locationHint(req: Request): DurableObjectLocationHint | undefined {
  const continent = (req as { cf?: { continent?: string } }).cf?.continent
  const byContinent: Record<string, DurableObjectLocationHint> = {
    NA: 'enam',
    SA: 'sam',
    EU: 'weur',
    AF: 'afr',
    AS: 'apac',
    OC: 'oc',
  }
  return continent ? byContinent[continent] : undefined
}
