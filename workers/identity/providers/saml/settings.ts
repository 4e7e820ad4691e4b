// A SAML provider's AuthConfig as the edge reads it at login: enabled, who may log in, and the SP's own
// URLs. The SP lives at Rancher's paths under `rancherApiHost` (the edge's origin when unset):
// `/v1-saml/<id>/saml/acs` (the assertion consumer service) and `/v1-saml/<id>/saml/metadata`, which is
// also the SP entity ID unless `entityID` says otherwise. The IdP side is the extension server's business.
import { mgmt, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { shortCache } from '../../authconfig-write.ts'
import type { AccessSettings } from '../../external-login.ts'
import type { AuthConfigObject } from '../../provider.ts'
import type { SamlKind } from './kinds.ts'

export interface SamlSettings extends AccessSettings {
  enabled: boolean
  entityId: string
  rancherApiHost: string
  spCert: string
}

export interface SpUrls {
  entityId: string
  acsUrl: string
  metadataUrl: string
}

export function settingsOf(cr: AuthConfigObject | undefined): SamlSettings {
  const str = (k: string) => (typeof cr?.[k] === 'string' ? (cr[k] as string) : '')
  return {
    enabled: cr?.enabled === true,
    accessMode: cr?.accessMode ?? 'unrestricted',
    allowedPrincipalIds: cr?.allowedPrincipalIds ?? [],
    entityId: str('entityID'),
    rancherApiHost: str('rancherApiHost'),
    spCert: str('spCert'),
  }
}

/** `/v1-saml/<id>/saml`: where the IdP posts and reads our metadata. */
export const spBasePath = (kind: SamlKind): string => `/v1-saml/${kind.id}/saml`

export function spUrls(kind: SamlKind, settings: Pick<SamlSettings, 'entityId' | 'rancherApiHost'>, requestUrl: string): SpUrls {
  const origin = settings.rancherApiHost ? new URL(settings.rancherApiHost).origin : new URL(requestUrl).origin
  const base = `${origin}${spBasePath(kind)}`
  return { entityId: settings.entityId || `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata` }
}

export async function loadSettings(edge: KubeClient, kind: SamlKind): Promise<SamlSettings> {
  return settingsOf(await edge.find<AuthConfigObject>(mgmt('AuthConfig'), kind.id))
}

export async function enabledSettings(edge: KubeClient, kind: SamlKind): Promise<SamlSettings> {
  const settings = await loadSettings(edge, kind)
  if (!settings.enabled) throw new ApiError(404, `auth provider ${kind.id} is not enabled`, 'NotFound')
  return settings
}

const listCache = shortCache<SamlSettings>(5_000)

/** The settings shared by an isolate for a few seconds (the public provider list, asked on every page). */
export function cachedSettings(edge: KubeClient, kind: SamlKind, now = Date.now()): Promise<SamlSettings> {
  return listCache(edge, kind.id, (e) => loadSettings(e, kind), now)
}
