// One cluster as the explorer reads it: the caller's types from `/k8s/clusters/<id>/v1/schemas` (only
// what they may use, CRDs included, with the apiserver's table columns and the methods their RBAC
// allows), where lists and objects live, and the namespaces grouped by project for the filter.
import { signal } from '@preact/signals'
import { get } from '../../api/http.ts'

export interface ColumnDef {
  name: string
  /** `$.metadata.fields[i]`: the cell of each row that this column describes. */
  field: string
  type: string
  priority: number
}

export interface TypeSchema {
  id: string
  pluralName?: string
  resourceMethods?: string[]
  collectionMethods?: string[]
  attributes?: { group: string; version: string; kind: string; resource: string; namespaced: boolean; verbs?: string[]; columns?: ColumnDef[] }
}

export interface ClusterTypes {
  cluster: string
  byId: ReadonlyMap<string, TypeSchema>
  error?: string
}

/** The current cluster's types; undefined while they load (or before any cluster is opened). */
export const clusterTypes = signal<ClusterTypes | undefined>(undefined)

export const v1Base = (cluster: string) => `/k8s/clusters/${encodeURIComponent(cluster)}/v1`

export async function loadTypes(cluster: string): Promise<void> {
  if (clusterTypes.value?.cluster === cluster && !clusterTypes.value.error) return
  clusterTypes.value = undefined
  try {
    const list = await get<{ data?: TypeSchema[] }>(`${v1Base(cluster)}/schemas`)
    clusterTypes.value = { cluster, byId: new Map((list.data ?? []).filter((s) => s.attributes).map((s) => [s.id, s])) }
  } catch (e) {
    clusterTypes.value = { cluster, byId: new Map(), error: e instanceof Error ? e.message : String(e) }
  }
}

export const canList = (s: TypeSchema | undefined): s is TypeSchema => s?.collectionMethods?.includes('GET') ?? false
export const canUpdate = (s: TypeSchema | undefined) => s?.resourceMethods?.includes('PUT') ?? false
export const canDelete = (s: TypeSchema | undefined) => s?.resourceMethods?.includes('DELETE') ?? false

/** The object's path in the Kubernetes API through the edge (`/k8s/clusters/<id>/api/v1/…`). */
export function kubePath(cluster: string, s: TypeSchema, namespace: string | undefined, name: string): string {
  const a = s.attributes!
  const base = a.group ? `/apis/${a.group}/${a.version}` : `/api/${a.version}`
  const ns = a.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `/k8s/clusters/${encodeURIComponent(cluster)}${base}${ns}/${a.resource}/${encodeURIComponent(name)}`
}

/** The explorer's own paths. */
export const explorerPath = (cluster: string, type?: string, namespace?: string, name?: string): string => {
  let p = `/c/${encodeURIComponent(cluster)}/explorer`
  if (type) p += `/${encodeURIComponent(type)}`
  if (namespace) p += `/${encodeURIComponent(namespace)}`
  if (name) p += `/${encodeURIComponent(name)}`
  return p
}

/** The namespace filter: '' for all, else `projectsornamespaces`' value (a project id or a namespace). */
export const namespaceFilter = signal<{ cluster: string; value: string }>({ cluster: '', value: '' })

export interface NamespaceGroup {
  /** The project id (the `field.cattle.io/projectId` label), '' for namespaces in no project. */
  project: string
  label: string
  namespaces: string[]
}

interface Listed {
  data?: { id: string; metadata?: { name?: string; labels?: Record<string, string> }; spec?: { displayName?: string } }[]
}

/** Project display names by id (`p-…`) for the cluster the filter last read, when the caller may list Projects. */
export const projectNames = signal<{ cluster: string; names: ReadonlyMap<string, string> }>({ cluster: '', names: new Map() })

/** How many namespaces the filter offers at most: past this, type a namespace's name into the name filter. */
const MAX_NAMESPACES = 1000

/**
 * The caller's namespaces by project. Project names come from the management cluster's Projects of this
 * cluster when the caller may list them (`mayListProjects`); otherwise a group shows the project's id.
 */
export async function namespaceGroups(cluster: string, mayListProjects: boolean): Promise<NamespaceGroup[]> {
  const [namespaces, projects] = await Promise.all([
    get<Listed>(`${v1Base(cluster)}/namespaces?pagesize=${MAX_NAMESPACES}&sort=metadata.name&exclude=metadata.managedFields`),
    mayListProjects ? get<Listed>(`/v1/management.cattle.io.projects/${encodeURIComponent(cluster)}?pagesize=1000`).catch(() => ({ data: [] }) as Listed) : Promise.resolve({ data: [] } as Listed),
  ])
  const names = new Map((projects.data ?? []).map((p) => [p.metadata?.name ?? '', p.spec?.displayName || p.metadata?.name || '']))
  projectNames.value = { cluster, names }
  const groups = new Map<string, NamespaceGroup>()
  for (const ns of namespaces.data ?? []) {
    const project = ns.metadata?.labels?.['field.cattle.io/projectId'] ?? ''
    let g = groups.get(project)
    if (!g) groups.set(project, (g = { project, label: project ? (names.get(project) ?? project) : 'Not in a project', namespaces: [] }))
    g.namespaces.push(ns.metadata?.name ?? ns.id)
  }
  return [...groups.values()].sort((a, b) => Number(a.project === '') - Number(b.project === '') || a.label.localeCompare(b.label))
}
