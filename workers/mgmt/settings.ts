import { SETTING_DEFAULTS, type SettingName } from '../../protocol/api/settings.ts'
import type { Setting } from '../../protocol/crds/index.ts'
import { mgmt, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'

/** Settings change rarely; an isolate re-reads them at most this often. */
const TTL_MS = 10_000
let cache: { at: number; values: Promise<Map<string, string>> } | undefined

async function load(kube: KubeClient): Promise<Map<string, string>> {
  const list = await kube.list<Setting & KubeObject>(mgmt('Setting'))
  return new Map(list.items.map((s) => [s.metadata.name ?? '', s.value || s.default || '']))
}

/** The effective value (`value`, else `default`, else drover's default) of a setting. */
export async function setting(kube: KubeClient, name: SettingName, now = Date.now()): Promise<string> {
  if (!cache || now - cache.at > TTL_MS) {
    const values = load(kube)
    cache = { at: now, values }
    values.catch(() => (cache = undefined))
  }
  try {
    return (await cache.values).get(name) || SETTING_DEFAULTS[name]
  } catch {
    return SETTING_DEFAULTS[name]
  }
}

export async function minutesSetting(kube: KubeClient, name: SettingName): Promise<number> {
  const n = Number(await setting(kube, name))
  return Number.isFinite(n) && n >= 0 ? n : Number(SETTING_DEFAULTS[name])
}
