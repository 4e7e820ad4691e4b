// The pod pages' routes and navigation entries (ui/src/routes.ts):
//   /c/<cluster>/pods/<namespace>/<name>/logs   PodLogs  (`?container=`)
//   /c/<cluster>/pods/<namespace>/<name>/shell  PodShell (`?container=`)
//   /kubeconfig                                 KubeconfigPage
// Other areas link to a pod with PodActions.tsx (or paths.ts), and offer a cluster's kubeconfig with
// Kubeconfig.tsx's KubeconfigAction.
import type { NavEntry, Route } from '../../routes.ts'
import { KubeconfigPage } from './Kubeconfig.tsx'
import { KUBECONFIG_PATH } from './paths.ts'
import { PodLogs } from './PodLogs.tsx'
import { PodShell } from './PodShell.tsx'

const POD = '^/c/([^/]+)/pods/([^/]+)/([^/]+)'

export const podRoutes: Route[] = [
  { pattern: new RegExp(`${POD}/logs$`), render: ([c, ns, n]) => <PodLogs key={`${c}/${ns}/${n}`} cluster={c!} namespace={ns!} name={n!} /> },
  { pattern: new RegExp(`${POD}/shell$`), render: ([c, ns, n]) => <PodShell key={`${c}/${ns}/${n}`} cluster={c!} namespace={ns!} name={n!} /> },
  { pattern: /^\/kubeconfig$/, render: () => <KubeconfigPage /> },
]

/** Every signed-in user may ask for a kubeconfig of the clusters they are members of (`/v3/clusters`). */
export const podNav: NavEntry[] = [{ href: KUBECONFIG_PATH, label: 'Kubeconfig', shown: () => true }]
