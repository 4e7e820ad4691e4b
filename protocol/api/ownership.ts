// Labels that say which drover object a materialised object belongs to. The runner sets them, the
// management cluster's admission policies guard the namespace ones, and the runner trusts a namespace
// only when it carries its label from creation.

/** Owner labels: which source object a materialised object comes from (used to prune and to adopt nothing else). */
export const OWNER_LABELS = {
  cluster: 'drover.io/cluster',
  globalRole: 'drover.io/globalrole',
  /** A GlobalRoleBinding's ClusterRoleBinding in the management cluster. */
  globalRoleBinding: 'drover.io/globalrolebinding',
  /** A GlobalRoleBinding's ClusterRoleBindings in downstream clusters (`local` included: it is also downstream). */
  globalRoleBindingDownstream: 'drover.io/globalrolebinding-downstream',
  roleTemplate: 'drover.io/roletemplate',
  crtb: 'drover.io/crtb',
  prtb: 'drover.io/prtb',
  project: 'drover.io/project',
} as const
