// Labels that say which drover object a materialised object belongs to. The runner sets them, the
// management cluster's admission policies guard the namespace ones, and the runner trusts a namespace
// only when it carries its label from creation. Also the runner's finalizers, which the management
// cluster's admission policies reserve for it (and add to a Cluster as it is created).

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

/** The runner's finalizers: it cleans up behind them, and only it (or, for a Cluster's, admission at creation) adds them. */
export const FINALIZERS = {
  cluster: 'drover.io/cluster-cleanup',
  downstream: 'drover.io/downstream-cleanup',
} as const
