// A directory provider's AuthConfig as the edge reads it at login: enabled, and who may log in. The
// directory fields themselves are the extension server's business.
import { mgmt, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { shortCache } from '../../authconfig-write.ts'
import type { AccessSettings } from '../../external-login.ts'
import type { AuthConfigObject } from '../../provider.ts'
import type { DirectoryKind } from './kinds.ts'

export interface DirectorySettings extends AccessSettings {
  enabled: boolean
}

export function settingsOf(cr: AuthConfigObject | undefined): DirectorySettings {
  return { enabled: cr?.enabled === true, accessMode: cr?.accessMode ?? 'unrestricted', allowedPrincipalIds: cr?.allowedPrincipalIds ?? [] }
}

export async function loadSettings(edge: KubeClient, kind: DirectoryKind): Promise<DirectorySettings> {
  return settingsOf(await edge.find<AuthConfigObject>(mgmt('AuthConfig'), kind.id))
}

export async function enabledSettings(edge: KubeClient, kind: DirectoryKind): Promise<DirectorySettings> {
  const settings = await loadSettings(edge, kind)
  if (!settings.enabled) throw new ApiError(404, `auth provider ${kind.id} is not enabled`, 'NotFound')
  return settings
}

const listCache = shortCache<DirectorySettings>(5_000)

/** The settings shared by an isolate for a few seconds (the public provider list, asked on every page). */
export function cachedSettings(edge: KubeClient, kind: DirectoryKind, now = Date.now()): Promise<DirectorySettings> {
  return listCache(edge, kind.id, (e) => loadSettings(e, kind), now)
}
