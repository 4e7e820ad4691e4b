// Which Projects the caller may see. A cluster member lists its cluster's projects; a project member
// holds `get` on their own Project only (the runner's PRTB grant), which Kubernetes cannot turn into a
// list: then the edge lists as itself and keeps the names the caller's RBAC rules allow, as it does
// for clusters (visibility.ts).
import { GROUP, type Project } from '../../protocol/crds/index.ts'
import { isForbidden, mgmt } from '../../protocol/kube/index.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { visibleClusters } from './clusters.ts'
import { edgeKube, userKube, type V3Context } from './context.ts'
import { visibleNames } from './visibility.ts'

const PROJECT = mgmt('Project')

/** The projects of cluster `ns` (its namespace) the caller may see. */
export async function projectsIn(c: V3Context, ns: string): Promise<(Project & KubeObject)[]> {
  try {
    return (await userKube(c).list<Project & KubeObject>(PROJECT, { namespace: ns })).items
  } catch (err) {
    if (!isForbidden(err)) throw err
  }
  const visible = await visibleNames(userKube(c), GROUP, 'projects', ns)
  if (visible !== '*' && visible.size === 0) return []
  const all = (await edgeKube(c).list<Project & KubeObject>(PROJECT, { namespace: ns })).items
  return visible === '*' ? all : all.filter((p) => visible.has(p.metadata.name ?? ''))
}

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
