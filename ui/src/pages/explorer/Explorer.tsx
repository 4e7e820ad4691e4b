// The cluster explorer's frame: the caller's types of this cluster on the side, the namespace filter
// (namespaces grouped by project; `projectsornamespaces` on every list), and the list or object asked for.
import { useEffect, useState } from 'preact/hooks'
import { may } from '../../api/capabilities.ts'
import { errorText } from '../../api/http.ts'
import { Link } from '../../router.tsx'
import { canList, clusterTypes, loadTypes, namespaceFilter, namespaceGroups, type NamespaceGroup } from './cluster-api.ts'
import { ResourceDetail } from './ResourceDetail.tsx'
import { ResourceList } from './ResourceList.tsx'
import { TypeNav } from './TypeNav.tsx'
import './explorer.css'

export interface ExplorerView {
  cluster: string
  type?: string
  namespace?: string
  name?: string
}

function NamespacePicker(props: { cluster: string }) {
  const [groups, setGroups] = useState<NamespaceGroup[] | undefined>(undefined)
  const [error, setError] = useState('')
  useEffect(() => {
    let current = true
    namespaceGroups(props.cluster, may('management.cattle.io.project', 'GET'))
      .then((g) => current && setGroups(g))
      .catch((e) => current && setError(errorText(e)))
    return () => {
      current = false
    }
  }, [props.cluster])
  const value = namespaceFilter.value.cluster === props.cluster ? namespaceFilter.value.value : ''
  return (
    <label class="ns-picker">
      Namespaces
      <select value={value} disabled={!groups} onChange={(e) => (namespaceFilter.value = { cluster: props.cluster, value: e.currentTarget.value })}>
        <option value="">All namespaces</option>
        {(groups ?? []).map((g) => (
          <optgroup key={g.project} label={g.label}>
            {g.project && <option value={g.project}>All of project {g.label}</option>}
            {g.namespaces.map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </optgroup>
        ))}
      </select>
      {error && <span class="error">{error}</span>}
    </label>
  )
}

export function Explorer(props: ExplorerView) {
  const { cluster, type } = props
  useEffect(() => void loadTypes(cluster), [cluster])
  const types = clusterTypes.value?.cluster === cluster ? clusterTypes.value : undefined
  const schema = type ? types?.byId.get(type) : undefined

  let body
  if (!types) body = <p role="status">Loading…</p>
  else if (types.error) body = <p role="alert" class="error">{types.error}</p>
  else if (!type) body = (
    <section aria-labelledby="explorer-heading">
      <h1 id="explorer-heading">Explore {cluster}</h1>
      <p>Choose a type of resource. Only the types you may list in this cluster are shown.</p>
    </section>
  )
  else if (!canList(schema) && !props.name) body = (
    <section aria-labelledby="explorer-heading">
      <h1 id="explorer-heading">Not available</h1>
      <p>There is no type {type} in cluster {cluster} that you may list.</p>
    </section>
  )
  else if (props.name && schema) body = <ResourceDetail key={`${type}/${props.namespace}/${props.name}`} cluster={cluster} schema={schema} namespace={props.namespace} name={props.name} />
  else body = <ResourceList key={`${cluster}/${type}`} cluster={cluster} schema={schema!} />

  return (
    <div class="explorer">
      <div class="explorer-side">
        <p class="explorer-cluster">
          Cluster <Link href={`/clusters/${encodeURIComponent(cluster)}`}>{cluster}</Link>
        </p>
        {types && !types.error && <NamespacePicker cluster={cluster} />}
        {types && !types.error && <TypeNav cluster={cluster} types={types.byId} current={type} />}
      </div>
      <div class="explorer-main">{body}</div>
    </div>
  )
}
