// The resources `drover ext-apiserver` serves under ext.cattle.io/v1 (discovery lists them in this order).
import type { ExtContext } from './context.ts'
import type { ExtResource } from './server/resource.ts'

export function extResources(ctx: ExtContext): ExtResource[] {
  void ctx
  return []
}
