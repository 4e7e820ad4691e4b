// Which Projects the caller may see. A cluster member lists its cluster's projects; a project member
// holds `get` on their own Project only (the runner's PRTB grant), which Kubernetes cannot turn into a
// list: then the names the caller's RBAC rules allow (visibility.ts) are read one by one as the caller.
import { GROUP, type Project } from '../../protocol/crds/index.ts'
import { isForbidden, mgmt } from '../../protocol/kube/index.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { visibleClusters } from './clusters.ts'
import { userKube, type V3Context } from './context.ts'
import { visibleNames } from './visibility.ts'

const PROJECT = mgmt('Project')

/** The projects of cluster `ns` (its namespace) the caller may see. */
export async function projectsIn(c: V3Context, ns: string): Promise<(Project & KubeObject)[]> {
  try {
    return (await userKube(c).list<Project & KubeObject>(PROJECT, { namespace: ns })).items
  } catch (err) {
    if (!isForbidden(err)) throw err
  }
  // `*` here would be a `get` on every project without `list`: nothing to enumerate them by.
  const visible = await visibleNames(userKube(c), GROUP, 'projects', ns)
  if (visible === '*' || visible.size === 0) return []
  // Read as the caller, who may get each of these; a few per member, so one GET each.
  const found = await Promise.all([...visible].slice(0, MAX_NAMED).map((name) => userKube(c).find<Project & KubeObject>(PROJECT, name, ns).catch(() => undefined)))
  return found.filter((p): p is Project & KubeObject => p !== undefined)
}

/** Projects read one by one for a caller who may not list them (Workers allow few subrequests). */
const MAX_NAMED = 40

/** `/v3/projects[?clusterId=C]`: every project the caller may see, or those of cluster C. */
export async function visibleProjects(c: V3Context): Promise<KubeObject[]> {
  const cluster = new URL(c.req.url).searchParams.get('clusterId')
  if (cluster) return /^[a-z0-9-]{1,63}$/.test(cluster) ? projectsIn(c, cluster) : []
  try {
    return (await userKube(c).list<KubeObject>(PROJECT)).items
  } catch (err) {
    if (!isForbidden(err)) throw err
  }
  const clusters = (await visibleClusters(c)).map((cl) => cl.metadata.name ?? '').filter(Boolean)
  return (await Promise.all(clusters.map((ns) => projectsIn(c, ns)))).flat()
}
