// The explorer pages' routes and navigation entries (ui/src/routes.ts). The explorer is per cluster
// (`/c/<cluster>/explorer/<type>[/<namespace>]/<name>`), reached from a cluster's page, so it adds no
// entry to the main navigation. A namespaced object has both segments; a cluster-scoped one only its name.
import type { NavEntry, Route } from '../../routes.ts'
import { Explorer } from './Explorer.tsx'

export const explorerRoutes: Route[] = [
  { pattern: /^\/c\/([^/]+)\/explorer\/?$/, render: ([cluster]) => <Explorer cluster={cluster!} /> },
  { pattern: /^\/c\/([^/]+)\/explorer\/([^/]+)\/?$/, render: ([cluster, type]) => <Explorer cluster={cluster!} type={type} /> },
  { pattern: /^\/c\/([^/]+)\/explorer\/([^/]+)\/([^/]+)$/, render: ([cluster, type, name]) => <Explorer cluster={cluster!} type={type} name={name} /> },
  {
    pattern: /^\/c\/([^/]+)\/explorer\/([^/]+)\/([^/]+)\/([^/]+)$/,
    render: ([cluster, type, namespace, name]) => <Explorer cluster={cluster!} type={type} namespace={namespace} name={name} />,
  },
]
export const explorerNav: NavEntry[] = []
