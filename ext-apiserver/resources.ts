// The resources `drover ext-apiserver` serves under ext.cattle.io/v1 (discovery lists them in this order).
import type { ExtContext } from './context.ts'
import { directoryBindReviews } from './directory/bind-review.ts'
import { groupMembershipRefreshRequests } from './directory/group-refresh.ts'
import { directoryPrincipalReviews } from './directory/principal-review.ts'
import { samlResponseReviews } from './saml/response-review.ts'
import type { ExtResource } from './server/resource.ts'
import { kubeconfigResource } from './tokens/kubeconfig-resource.ts'
import { extTokenResource } from './tokens/token-resource.ts'
import { passwordChangeRequests } from './users/password-change.ts'
import { selfUsers } from './users/self-user.ts'

export function extResources(ctx: ExtContext): ExtResource[] {
  return [
    directoryBindReviews(ctx.client, ctx.logger),
    directoryPrincipalReviews(ctx.client, ctx.logger),
    samlResponseReviews(ctx.client, ctx.logger),
    // Rancher's imperative resources, for drover users themselves (RBAC: group system:cattle:authenticated).
    extTokenResource(ctx),
    kubeconfigResource(ctx),
    selfUsers(ctx),
    passwordChangeRequests(ctx),
    groupMembershipRefreshRequests(ctx.client, ctx.logger),
  ]
}
