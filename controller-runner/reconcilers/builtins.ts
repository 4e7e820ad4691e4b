// Built-in GlobalRoles and RoleTemplates: created when missing and kept equal to infra/management's data
// while they carry `builtin: true`. An object of the same name without `builtin: true` is the user's and
// is left alone.
import type { GlobalRole, RoleTemplate } from '../../protocol/crds/index.ts'
import { builtinGlobalRoles, builtinRoleTemplates } from '../../infra/management/builtins.ts'
import type { Reconciler, Request, Result } from '../runtime/types.ts'
import { apply } from './apply.ts'
import { mgmt, type KubeClient, type ResourceType } from '../../protocol/kube/index.ts'
import { MANAGED_BY } from './meta.ts'

type Builtin = GlobalRole | RoleTemplate

export class BuiltinsReconciler implements Reconciler {
  private readonly byName: Map<string, Builtin>
  private readonly ref: ResourceType

  constructor(
    kind: 'GlobalRole' | 'RoleTemplate',
    private readonly client: KubeClient,
  ) {
    this.ref = mgmt(kind)
    const data: readonly Builtin[] = kind === 'GlobalRole' ? builtinGlobalRoles : builtinRoleTemplates
    this.byName = new Map(data.map((o) => [o.metadata.name!, o]))
  }

  async reconcile({ name }: Request): Promise<Result> {
    const want = this.byName.get(name)
    if (!want) return {}
    const live = await this.client.find<Builtin>(this.ref, name)
    if (live?.metadata.deletionTimestamp) return {}
    if (live && live.builtin !== true) return {}
    await apply(this.client, this.ref, desired(want), live ? { current: live } : {})
    return {}
  }

  async seed(): Promise<void> {
    for (const name of this.byName.keys()) await this.reconcile({ name })
  }
}

const desired = (o: Builtin): Builtin => ({ ...o, metadata: { ...o.metadata, labels: { ...MANAGED_BY } } }) as Builtin
