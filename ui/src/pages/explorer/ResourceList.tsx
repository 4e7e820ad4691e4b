// One type's objects in one cluster, server-paged, filtered and sorted through `/k8s/clusters/<id>/v1/<type>`
// and kept live by that cluster's `/v1/subscribe`: a change to a row on this page replaces that row's
// signal (only the row re-renders); a create or remove re-reads the page (throttled), since it moves the
// rows after it. The browser holds one page, whatever the cluster's size. Columns are the apiserver's
// table columns (the schema's `attributes.columns`, cells in `metadata.fields`), state from `metadata.state`.
import { signal, type Signal } from '@preact/signals'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { SteveResource } from '../../../../protocol/api/steve/format.ts'
import { clusterLive } from '../../api/cluster-live.ts'
import { errorText, get } from '../../api/http.ts'
import { VirtualTable, type Column, type Sort } from '../../components/VirtualTable.tsx'
import { Link } from '../../router.tsx'
import { PodActions } from '../pod/PodActions.tsx'
import { explorerPath, namespaceFilter, projectNames, v1Base, type TypeSchema } from './cluster-api.ts'
import { typeLabel } from './TypeNav.tsx'

type Row = Signal<SteveResource>
interface Page {
  data: SteveResource[]
  count?: number
  pages?: number
}

const PAGE_SIZES = [50, 100, 500, 1000]
/** A create or remove re-reads the page at most this often, however fast objects come and go. */
const RELOAD_MS = 1000

const meta = (r: SteveResource) => (r.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string>; state?: { name?: string; error?: boolean; transitioning?: boolean; message?: string }; fields?: unknown[] }

function StateBadge(props: { r: SteveResource }) {
  const s = meta(props.r).state
  if (!s?.name) return <span class="muted">—</span>
  const tone = s.error ? 'bad' : s.transitioning ? 'warn' : 'ok'
  return <span class={`badge tone-${tone}`} title={s.message || undefined}>{s.name}</span>
}

const PROJECT_LABEL = 'field.cattle.io/projectId'
const PROJECT_FIELD = `metadata.labels[${PROJECT_LABEL}]`

function ProjectName(props: { cluster: string; id: string | undefined }) {
  if (!props.id) return <span class="muted">—</span>
  const known = projectNames.value.cluster === props.cluster ? projectNames.value.names.get(props.id) : undefined
  return <span title={props.id}>{known ?? props.id}</span>
}

function cellText(v: unknown): string {
  if (v === undefined || v === null || v === '') return '—'
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

function columnsFor(cluster: string, schema: TypeSchema): Column<Row>[] {
  const namespaced = schema.attributes?.namespaced ?? false
  const cols: Column<Row>[] = [
    { id: 'state', label: 'State', cell: (r) => <StateBadge r={r.value} /> },
    {
      id: 'name',
      label: 'Name',
      sortField: 'metadata.name',
      cell: (r) => <Link href={explorerPath(cluster, schema.id, namespaced ? meta(r.value).namespace : undefined, meta(r.value).name)}>{meta(r.value).name}</Link>,
    },
  ]
  if (namespaced) cols.push({ id: 'namespace', label: 'Namespace', sortField: 'metadata.namespace', cell: (r) => meta(r.value).namespace })
  if (schema.id === 'namespace') cols.push({ id: 'project', label: 'Project', sortField: PROJECT_FIELD, cell: (r) => <ProjectName cluster={cluster} id={meta(r.value).labels?.[PROJECT_LABEL]} /> })
  for (const c of schema.attributes?.columns ?? []) {
    const index = /^\$\.metadata\.fields\[(\d+)\]$/.exec(c.field)?.[1]
    if (index === undefined || c.priority > 0 || c.name === 'Name' || c.name === 'Namespace') continue
    const i = Number(index)
    cols.push({ id: `f${i}`, label: c.name, sortField: `metadata.fields[${i}]`, className: c.type === 'integer' || c.type === 'number' ? 'num' : undefined, cell: (r) => cellText(meta(r.value).fields?.[i]) })
  }
  if (schema.id === 'pod') {
    cols.push({ id: 'actions', label: 'Actions', cell: (r) => <PodActions cluster={cluster} namespace={meta(r.value).namespace ?? ''} name={meta(r.value).name ?? ''} /> })
  }
  return cols
}

function Cells(props: { row: Row; columns: Column<Row>[] }) {
  return (
    <>
      {props.columns.map((c) => (
        <td key={c.id} class={c.className} data-col={c.id}>{c.cell(props.row)}</td>
      ))}
    </>
  )
}

export function listUrl(cluster: string, type: string, o: { term: string; namespaces: string; sort: Sort; page: number; pageSize: number }): string {
  // The name (or namespace) breaks ties, so the order, and so the paging, is stable.
  const tie = o.sort.field === 'metadata.name' ? 'metadata.namespace' : 'metadata.name'
  const q = new URLSearchParams({ page: String(o.page), pagesize: String(o.pageSize), sort: `${o.sort.descending ? '-' : ''}${o.sort.field},${tie}`, exclude: 'metadata.managedFields' })
  const term = o.term.trim().replace(/["\\]/g, '')
  if (term) q.set('filter', `metadata.name~"${term}",metadata.namespace~"${term}"`)
  if (o.namespaces) q.set('projectsornamespaces', o.namespaces)
  return `${v1Base(cluster)}/${encodeURIComponent(type)}?${q}`
}

export function ResourceList(props: { cluster: string; schema: TypeSchema }) {
  const { cluster, schema } = props
  const type = schema.id
  const namespaced = schema.attributes?.namespaced ?? false
  const [search, setSearch] = useState('')
  const [term, setTerm] = useState('')
  // Namespaces come grouped by project (then by name), as Rancher shows them.
  const [sort, setSort] = useState<Sort>({ field: type === 'namespace' ? PROJECT_FIELD : 'metadata.name', descending: false })
  const [page, setPage] = useState(1)
  const [pageSize, setPageSize] = useState(100)
  const [error, setError] = useState('')
  /** Another query is on its way (a live re-read of the same one does not count): said at once, as feedback. */
  const [loading, setLoading] = useState(true)
  const rows = useMemo(() => signal<Row[]>([]), [])
  const byId = useMemo(() => new Map<string, Row>(), [])
  const total = useMemo(() => signal({ count: 0, pages: 1 }), [])
  const columns = useMemo(() => columnsFor(cluster, schema), [cluster, schema])
  const section = useRef<HTMLElement>(null)
  /** The query of the rows shown: a new one (another page, sort or filter) starts at the top; a live re-read keeps the scroll. */
  const shown = useRef('')
  const nsFilter = namespaced && namespaceFilter.value.cluster === cluster ? namespaceFilter.value.value : ''

  // Another namespace starts from the first page (another type is another instance: Explorer keys it).
  useEffect(() => setPage(1), [nsFilter])

  // The filter asks the server once typing pauses.
  useEffect(() => {
    const t = setTimeout(() => {
      setTerm(search)
      setPage(1)
    }, 250)
    return () => clearTimeout(t)
  }, [search])

  const url = listUrl(cluster, type, { term, namespaces: nsFilter, sort, page, pageSize })
  /** The query asked for; answers to any other are dropped. */
  const wanted = useRef('')
  /** A read of `wanted` is on its way; a live change meanwhile sets `again` for one more read after it. */
  const busy = useRef(false)
  const again = useRef(false)

  // One read at a time per query: under churn, re-reads are coalesced rather than each cancelling the
  // one before (a page the server takes longer than the throttle to answer would never be shown).
  const read = (u: string) => {
    busy.current = true
    get<Page>(u)
      .then((p) => {
        if (wanted.current !== u) return
        if (shown.current !== u) section.current?.querySelector('.table-scroll')?.scrollTo({ top: 0 })
        shown.current = u
        byId.clear()
        rows.value = p.data.map((r) => {
          const s = signal(r)
          byId.set(r.id, s)
          return s
        })
        total.value = { count: p.count ?? p.data.length, pages: Math.max(1, p.pages ?? 1) }
        setError('')
        setLoading(false)
      })
      .catch((e) => {
        if (wanted.current !== u) return
        setError(errorText(e))
        setLoading(false)
      })
      .finally(() => {
        if (wanted.current !== u) return
        busy.current = false
        if (again.current) {
          again.current = false
          read(u)
        }
      })
  }

  // Another query is read at once, whatever is on its way for the last one.
  useEffect(() => {
    wanted.current = url
    again.current = false
    setLoading(true)
    read(url)
    return () => {
      wanted.current = ''
    }
  }, [url])

  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined
    const reload = () => {
      pending ??= setTimeout(() => {
        pending = undefined
        if (!wanted.current) return
        if (busy.current) again.current = true
        else read(wanted.current)
      }, RELOAD_MS)
    }
    const stop = clusterLive(cluster).watch(
      { resourceType: type },
      {
        event(e) {
          const data = e.data as SteveResource | undefined
          const row = data && byId.get(data.id)
          if (e.name === 'resource.change') {
            if (row) row.value = data
          } else reload()
        },
        resync: reload,
      },
    )
    return () => {
      clearTimeout(pending)
      stop()
    }
  }, [cluster, type])

  const live = clusterLive(cluster).state.value
  const { count, pages } = total.value
  const label = typeLabel(schema)
  return (
    <section aria-labelledby="list-heading" class="explorer-list" ref={section}>
      <div class="page-head">
        <h1 id="list-heading">{label}</h1>
        <span class={`live live-${live}`}>{live === 'live' ? 'Live' : live === 'idle' ? '' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
      </div>
      <div class="toolbar">
        <label>
          Filter
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder={namespaced ? 'name or namespace' : 'name'} />
        </label>
        <label>
          Per page
          <select value={pageSize} onChange={(e) => { setPageSize(Number(e.currentTarget.value)); setPage(1) }}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </label>
        <span role="status" class="count" data-count={loading ? undefined : count}>{loading ? 'Loading…' : `${count} ${count === 1 ? 'object' : 'objects'}`}</span>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      <VirtualTable
        caption={`${label} in ${cluster}`}
        columns={columns}
        rows={rows.value}
        rowKey={(r) => r.value.id}
        row={(r, cols) => <Cells row={r} columns={cols} />}
        sort={sort}
        onSort={(s) => { setSort(s); setPage(1) }}
        offset={(page - 1) * pageSize}
        total={count}
        empty={term ? `Nothing matches "${term}".` : `No ${label.toLowerCase()} here.`}
      />
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => setPage(1)}>First</button>
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
        <span>Page {page} of {pages}</span>
        <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
        <button type="button" disabled={page >= pages} onClick={() => setPage(pages)}>Last</button>
      </nav>
    </section>
  )
}
