// The one interface every identity provider implements; `/v3-public/*Providers`, `/v3-public/authProviders`,
// `/v3/authconfigs` and `/v3/principals` are built from the list in providers/index.ts, so a new provider
// is one folder under providers/ and one line there. Credential checks (tokens, cookies, revocation) are
// not a provider's business: they live beside this file and serve every provider's sessions alike.
import type { Hono } from 'hono'
import type { AuthConfig } from '../../protocol/crds/index.ts'
import type { AppEnv } from '../env.ts'
import type { KubeObject } from '../mgmt/management.ts'
import type { V3Context } from '../v3/context.ts'

export type AuthConfigObject = AuthConfig & KubeObject

/** A user or group as Rancher's `/v3/principals` shows it (`id` is the principal id, e.g. `local://u-x`). */
export interface PrincipalEntry {
  id: string
  principalType: 'user' | 'group'
  provider: string
  loginName?: string
  displayName?: string
}

export interface ProviderConfig {
  /** Norman type of the AuthConfig (`localConfig`, `genericOIDCConfig`). */
  type: string
  /** The AuthConfig shown while none is stored; absent: the provider is unlisted until configured. */
  fallback?(): AuthConfigObject
  /** The provider's own fields as shown (defaults applied, secret references hidden). */
  present(obj: AuthConfigObject): Record<string, unknown>
  /**
   * Validates an untrusted body against the provider's config schema and saves it as the caller (the
   * management cluster's RBAC decides who may). Absent: the provider has nothing to configure.
   */
  write?(c: V3Context, body: unknown): Promise<{ saved: AuthConfigObject; created: boolean }>
  /** Resource actions (`?action=disable`), each saving and returning the config. */
  actions?: Record<string, (c: V3Context) => Promise<AuthConfigObject>>
}

export interface IdentityProvider {
  /** Provider id and AuthConfig name (`local`, `genericoidc`). */
  readonly id: string
  /** `/v3-public/<publicCollection>/<id>` is its public resource (`localProviders`, `genericOIDCProviders`). */
  readonly publicCollection: string
  /** Its entry in `GET /v3-public/authProviders`, or null while it is not enabled (or cannot be read now). */
  publicEntry(c: V3Context): Promise<Record<string, unknown> | null>
  /** Login routes, mounted at `/v3-public/<publicCollection>/<id>` (`POST ?action=login`, redirects, callbacks). */
  readonly login: Hono<AppEnv>
  /** Its AuthConfig, `/v3/authconfigs/<id>`. */
  readonly config: ProviderConfig
  /** Its principals whose names match `name`, as far as the caller may see them. */
  searchPrincipals(c: V3Context, name: string, type?: PrincipalEntry['principalType']): Promise<PrincipalEntry[]>
}

/** `/v3-public/<collection>/<id>` and its login action, as Rancher's public provider resources carry them. */
export function publicLinks(c: V3Context, p: Pick<IdentityProvider, 'id' | 'publicCollection'>): { self: string; login: string } {
  const self = `${new URL(c.req.url).origin}/v3-public/${p.publicCollection}/${p.id}`
  return { self, login: `${self}?action=login` }
}
