import type { Identity } from '../tunnel/types.ts'

/** The edge itself in the management cluster (ClusterRole `drover-edge`): tokens, users, cluster status. */
export const EDGE_IDENTITY: Identity = { user: 'system:drover:edge', groups: ['system:authenticated'], extra: {} }

/** The controller runner when it writes into a cluster through the edge (ClusterRole `drover-runner`). */
export const RUNNER_IDENTITY: Identity = { user: 'system:drover:runner', groups: ['system:authenticated'], extra: {} }

/** The management cluster's id: its agent carries every management request. */
export const LOCAL_CLUSTER = 'local'

/**
 * The list cache in every cluster (objects/cache, workers/v1): reads objects to index them and the
 * RoleBindings that say where a user may be granted something (ClusterRole `drover-cache`). It never
 * answers a user's request with more than that user's own access allows.
 */
export const CACHE_IDENTITY: Identity = { user: 'system:drover:cache', groups: ['system:authenticated'], extra: {} }
