// Settings: seeds the defaults (create missing; keep `default` equal to drover's; never touch `value`),
// and reads effective values from the Setting cache on every call, so a changed value applies without
// a restart.
import type { Setting } from '../../protocol/crds/index.ts'
import { resolvedSettingDefaults } from '../../infra/management/settings.ts'
import type { Cache, Reconciler, Request, Result } from '../runtime/types.ts'
import { isAlreadyExists, mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import { MANAGED_BY } from './meta.ts'

const SETTING = mgmt('Setting')

export class Settings {
  readonly defaults: Map<string, string>
  constructor(
    private readonly cache: Cache<Setting>,
    opts: { serverUrl: string },
  ) {
    this.defaults = resolvedSettingDefaults(opts)
  }

  /** The effective value: the Setting's value, else its default, else drover's default. */
  get(name: string): string {
    const s = this.cache.get(name)
    return s?.value || s?.default || this.defaults.get(name) || ''
  }

  /** A whole number of minutes as milliseconds; `fallback` minutes when the value does not parse. */
  minutes(name: string, fallback: number): number {
    const n = Number(this.get(name))
    return (Number.isFinite(n) && n >= 0 ? n : fallback) * 60_000
  }
}

export class SettingsReconciler implements Reconciler {
  constructor(
    private readonly deps: { settings: Settings; cache: Cache<Setting>; client: KubeClient },
  ) {}

  async reconcile({ name }: Request): Promise<Result> {
    const def = this.deps.settings.defaults.get(name)
    if (def === undefined) return {}
    const current = this.deps.cache.get(name)
    if (current?.metadata.deletionTimestamp) return {}
    await this.ensure(name, def, current)
    return {}
  }

  /** Creates every missing setting: run once the runner leads (no event exists for a missing object). */
  async seed(): Promise<void> {
    for (const [name, def] of this.deps.settings.defaults) await this.ensure(name, def, await this.deps.client.find<Setting>(SETTING, name))
  }

  /** Creates the setting, or keeps its `default` equal to `def`; `value` is never touched. */
  private async ensure(name: string, def: string, current: Setting | undefined): Promise<void> {
    if (current) {
      // Guarded by resourceVersion; `value` is sent back as it was read.
      if (current.default !== def) await this.deps.client.update(SETTING, { ...current, default: def })
      return
    }
    const setting: Setting = { apiVersion: 'management.cattle.io/v3', kind: 'Setting', metadata: { name, labels: { ...MANAGED_BY } }, value: '', default: def, source: 'default' }
    try {
      await this.deps.client.create(SETTING, setting)
    } catch (e) {
      if (!isAlreadyExists(e)) throw e
    }
  }
}
