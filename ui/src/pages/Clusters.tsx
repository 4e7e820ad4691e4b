// Every cluster the caller may see, server-paged, searched and sorted through `/v1`'s query parameters,
// kept live by `/v1/subscribe`: a change to a row on this page replaces that row's signal (only that row
// re-renders); a cluster created or removed re-reads the page, since it moves every row after it.
import { signal, type Signal } from '@preact/signals'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { CLUSTER_TYPE, may } from '../api/capabilities.ts'
import { clusterName, clusterState, condition, formatBytes, type ClusterResource } from '../api/clusters.ts'
import { errorText, get } from '../api/http.ts'
import { watch } from '../api/live.ts'
import { VirtualTable, type Column, type Sort } from '../components/VirtualTable.tsx'
import { Link } from '../router.tsx'

interface Page {
  data: ClusterResource[]
  count?: number
  pages?: number
}

type Row = Signal<ClusterResource>

const PAGE_SIZES = [25, 100, 500, 1000]

function ConditionCell(props: { c: ClusterResource; type: string }) {
  const cond = condition(props.c, props.type)
  const text = cond?.status === 'True' ? 'Yes' : cond?.status === 'False' ? 'No' : 'Unknown'
  // A connected cluster whose apiserver fails /readyz says so, rather than a bare "No" that reads like a lost agent.
  const label = text === 'No' && cond?.reason === 'APIUnavailable' ? 'API unavailable' : text
  return <span class={`cond cond-${text.toLowerCase()}`} title={cond?.message}>{label}</span>
}

const COLUMNS: Column<Row>[] = [
  { id: 'state', label: 'State', cell: (r) => <span class={`badge state-${clusterState(r.value)}`}>{clusterState(r.value)}</span> },
  { id: 'name', label: 'Name', sortField: 'spec.displayName', cell: (r) => <Link href={`/clusters/${encodeURIComponent(r.value.id)}`}>{clusterName(r.value)}</Link> },
  { id: 'connected', label: 'Connected', cell: (r) => <ConditionCell c={r.value} type="Connected" /> },
  { id: 'ready', label: 'Ready', cell: (r) => <ConditionCell c={r.value} type="Ready" /> },
  { id: 'version', label: 'Kubernetes', sortField: 'status.version.gitVersion', cell: (r) => r.value.status?.version?.gitVersion ?? '—' },
  { id: 'provider', label: 'Provider', cell: (r) => r.value.status?.provider || r.value.status?.driver || '—' },
  { id: 'nodes', label: 'Nodes', sortField: 'status.nodeCount', className: 'num', cell: (r) => r.value.status?.nodeCount ?? '—' },
  { id: 'cpu', label: 'CPU', className: 'num', cell: (r) => r.value.status?.capacity?.cpu ?? '—' },
  { id: 'memory', label: 'Memory', className: 'num', cell: (r) => formatBytes(r.value.status?.capacity?.memory) },
]

/** One row's cells: reads its own signal, so a live change re-renders this row only. */
function Cells(props: { row: Row; columns: Column<Row>[] }) {
  return (
    <>
      {props.columns.map((c) => (
        <td key={c.id} class={c.className} data-col={c.id}>{c.cell(props.row)}</td>
      ))}
    </>
  )
}

function listUrl(search: string, sort: Sort, page: number, pageSize: number): string {
  // The id breaks ties, so the order (and so the paging) is stable.
  const order = `${sort.descending ? '-' : ''}${sort.field}${sort.field === 'metadata.name' ? '' : ',metadata.name'}`
  const q = new URLSearchParams({ page: String(page), pagesize: String(pageSize), sort: order, exclude: 'metadata.managedFields' })
  const term = search.trim().replace(/["\\]/g, '')
  if (term) q.set('filter', `metadata.name~"${term}",spec.displayName~"${term}"`)
  return `/v1/management.cattle.io.clusters?${q}`
}

export function Clusters() {
  const [search, setSearch] = useState('')
  const [query, setQuery] = useState('')
  const [sort, setSort] = useState<Sort>({ field: 'spec.displayName', descending: false })
  const [page, setPage] = useState(1)
  const [pageSize, setPageSize] = useState(100)
  const [error, setError] = useState('')
  const [loaded, setLoaded] = useState(false)
  const rows = useMemo(() => signal<Row[]>([]), [])
  const total = useMemo(() => signal<{ count: number; pages: number }>({ count: 0, pages: 1 }), [])
  const [reloads, setReloads] = useState(0)

  // The search box asks the server once typing pauses.
  useEffect(() => {
    const t = setTimeout(() => {
      setQuery(search)
      setPage(1)
    }, 250)
    return () => clearTimeout(t)
  }, [search])

  const allowed = may(CLUSTER_TYPE, 'GET')

  useEffect(() => {
    if (!allowed) return
    let current = true
    get<Page>(listUrl(query, sort, page, pageSize))
      .then((p) => {
        if (!current) return
        rows.value = p.data.map((c) => signal(c))
        total.value = { count: p.count ?? p.data.length, pages: Math.max(1, p.pages ?? 1) }
        setError('')
        setLoaded(true)
      })
      .catch((e) => current && setError(errorText(e)))
    return () => {
      current = false
    }
  }, [allowed, query, sort, page, pageSize, reloads])

  useEffect(() => {
    if (!allowed) return
    let pending: ReturnType<typeof setTimeout> | undefined
    const reload = () => {
      clearTimeout(pending)
      pending = setTimeout(() => setReloads((n) => n + 1), 300)
    }
    const stop = watch(
      { resourceType: CLUSTER_TYPE },
      {
        event(e) {
          const data = e.data as ClusterResource | undefined
          const row = data && rows.value.find((r) => r.value.id === data.id)
          if (e.name === 'resource.change' && row) row.value = data
          else if (e.name !== 'resource.change') reload()
        },
        resync: reload,
      },
    )
    return () => {
      clearTimeout(pending)
      stop()
    }
  }, [allowed])

  const { count, pages } = total.value
  return !may(CLUSTER_TYPE, 'GET') ? (
    <section aria-labelledby="clusters-heading">
      <h1 id="clusters-heading">Clusters</h1>
      <p>You may not list clusters. An administrator can make you a member of one.</p>
    </section>
  ) : (
    <section aria-labelledby="clusters-heading">
      <div class="page-head">
        <h1 id="clusters-heading">Clusters</h1>
        {may(CLUSTER_TYPE, 'POST') && <Link href="/clusters/import" class="button primary">Import cluster</Link>}
      </div>
      <div class="toolbar">
        <label>
          Search
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="name" />
        </label>
        <label>
          Per page
          <select value={pageSize} onChange={(e) => { setPageSize(Number(e.currentTarget.value)); setPage(1) }}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </label>
        <span role="status" class="count">{loaded ? `${count} cluster${count === 1 ? '' : 's'}` : 'Loading…'}</span>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      <VirtualTable
        caption="Clusters"
        columns={COLUMNS}
        rows={rows.value}
        rowKey={(r) => r.value.id}
        row={(r, cols) => <Cells row={r} columns={cols} />}
        sort={sort}
        onSort={(s) => { setSort(s); setPage(1) }}
        offset={(page - 1) * pageSize}
        total={count}
        empty={query ? `No cluster matches "${query}".` : 'No clusters yet.'}
      />
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
        <span>Page {page} of {pages}</span>
        <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
      </nav>
    </section>
  )
}
