// The settings the runner seeds (cluster-scoped Setting CRs). Effective value = `value` || `default`.
// The runner writes `default` and never `value`: an administrator's value always wins. The table itself
// is protocol/api/settings.ts, which the edge falls back to as well.
import { SETTING_DEFAULTS } from '../../protocol/api/settings.ts'

export interface SettingDefault {
  name: string
  /** `undefined` for settings whose default comes from the runner's flags (server-url). */
  default?: string
}

export const settingDefaults: readonly SettingDefault[] = Object.entries(SETTING_DEFAULTS).map(([name, value]) =>
  (name === 'server-url' ? { name } : { name, default: value }))

/** The defaults with the runner-provided ones filled in. */
export function resolvedSettingDefaults(opts: { serverUrl: string }): Map<string, string> {
  return new Map(settingDefaults.map((s) => [s.name, s.name === 'server-url' ? opts.serverUrl : (s.default ?? '')]))
}
