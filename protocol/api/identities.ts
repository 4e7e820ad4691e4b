import type { Identity } from '../tunnel/types.ts'

/** The edge itself in the management cluster (ClusterRole `drover-edge`): tokens, users, cluster status. */
export const EDGE_IDENTITY: Identity = { user: 'system:drover:edge', groups: ['system:authenticated'], extra: {} }

/** The controller runner when it writes into a cluster through the edge (ClusterRole `drover-runner`). */
export const RUNNER_IDENTITY: Identity = { user: 'system:drover:runner', groups: ['system:authenticated'], extra: {} }

/** The management cluster's id: its agent carries every management request. */
export const LOCAL_CLUSTER = 'local'
