// RoleTemplate → the ClusterRole of the same name it becomes downstream, written and (once the template is
// gone) removed by the downstream controller, per cluster. Left here: the finalizer earlier runners put on
// templates to clean up downstream, released on deletion so such a template is not stuck.
import type { RoleTemplate } from '../../protocol/crds/index.ts'
import { mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import type { Cache, Reconciler, Request, Result } from '../runtime/types.ts'
import { FINALIZERS, removeFinalizer } from './meta.ts'

const RT = mgmt('RoleTemplate')

export class RoleTemplateReconciler implements Reconciler {
  constructor(private readonly deps: { roleTemplates: Cache<RoleTemplate>; client: KubeClient }) {}

  async reconcile({ name }: Request): Promise<Result> {
    const rt = this.deps.roleTemplates.get(name)
    if (rt?.metadata.deletionTimestamp) await removeFinalizer(this.deps.client, RT, rt, FINALIZERS.downstream)
    return {}
  }
}
