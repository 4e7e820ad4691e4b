import type { ClusterTunnel } from '../objects/cluster-tunnel.ts'
import type { Authenticator, Principal } from './auth/authenticator.ts'

export interface Bindings {
  TUNNEL: DurableObjectNamespace<ClusterTunnel>
  /** Development tokens (see auth/static-tokens.ts) until the identity issue lands. */
  DROVER_STATIC_TOKENS?: string
}

export interface Variables {
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
