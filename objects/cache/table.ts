// LIST and WATCH read as the apiserver's Table (`as=Table`, `includeObject=Object`): each row is the
// whole object plus its printed cells, which Steve shows as `metadata.fields` (for CRDs, their
// additionalPrinterColumns). A server that cannot print a type answers plain objects, read the same
// way without cells. Requests go through the one client's transport; failures are its KubeError.
import { readLines } from '../../protocol/kube/lines.ts'
import { KUBE_ORIGIN, KubeError, apiVersionOf, resourcePath, type KubeClient, type ResourceType } from '../../protocol/kube/index.ts'

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
/** Cap on one watch event (a Table row with its object). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024

type Obj = Record<string, unknown>

export interface TableColumn {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export interface Row {
  object: Obj
  cells: unknown[] | undefined
}

export interface TablePage {
  columns: TableColumn[] | undefined
  rows: Row[]
  resourceVersion: string
  continue: string | undefined
}

export type TableEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; row: Row; columns: TableColumn[] | undefined }
  | { type: 'BOOKMARK'; resourceVersion: string }

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)

function send(client: KubeClient, path: string, signal: AbortSignal | undefined): Promise<Response> {
  return client.transport(new Request(`${KUBE_ORIGIN}${path}`, { headers: { accept: TABLE_ACCEPT }, ...(signal ? { signal } : {}) }))
}

/** One page of a LIST of every namespace; `cont` continues a paged list. */
export async function listTablePage(client: KubeClient, type: ResourceType, opts: { limit: number; continue?: string; signal?: AbortSignal }): Promise<TablePage> {
  const q = new URLSearchParams({ includeObject: 'Object', limit: String(opts.limit) })
  if (opts.continue) q.set('continue', opts.continue)
  const path = `${resourcePath(type)}?${q}`
  const res = await send(client, path, opts.signal)
  const text = await res.text()
  if (!res.ok) throw KubeError.fromResponse('GET', path, res.status, text)
  const body = JSON.parse(text) as unknown
  const meta = isObj(body) && isObj(body.metadata) ? body.metadata : {}
  const typed = typer(type)
  const page: TablePage = {
    columns: undefined,
    rows: [],
    resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
    continue: typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined,
  }
  if (!isObj(body)) return page
  if (body.kind === 'Table') {
    page.columns = columnsOf(body)
    for (const row of Array.isArray(body.rows) ? body.rows : []) {
      if (isObj(row) && isObj(row.object)) page.rows.push({ object: typed(row.object), cells: Array.isArray(row.cells) ? row.cells : undefined })
    }
  } else if (Array.isArray(body.items)) {
    for (const item of body.items) if (isObj(item)) page.rows.push({ object: typed(item), cells: undefined })
  }
  return page
}

/**
 * The events of a watch of every namespace from `resourceVersion`, with bookmarks, until the server
 * ends it (after `timeoutSeconds`). An ERROR event throws its Status as a KubeError (410: re-list).
 */
export async function* watchTable(
  client: KubeClient,
  type: ResourceType,
  opts: { resourceVersion: string; timeoutSeconds: number; signal?: AbortSignal },
): AsyncGenerator<TableEvent> {
  const q = new URLSearchParams({
    watch: 'true',
    allowWatchBookmarks: 'true',
    includeObject: 'Object',
    resourceVersion: opts.resourceVersion,
    timeoutSeconds: String(opts.timeoutSeconds),
  })
  const path = `${resourcePath(type)}?${q}`
  const res = await send(client, path, opts.signal)
  if (!res.ok) throw KubeError.fromResponse('GET', path, res.status, await res.text())
  if (!res.body) return
  const typed = typer(type)
  for await (const line of readLines(res.body, MAX_EVENT_BYTES)) {
    const ev = JSON.parse(line) as { type?: unknown; object?: unknown }
    const object = isObj(ev.object) ? ev.object : {}
    if (ev.type === 'ERROR') {
      const s = object as { code?: number; reason?: string; message?: string }
      throw new KubeError(s.code ?? 500, s.reason ?? '', `watch ${type.plural}: ${s.code ?? ''} ${s.reason ?? ''} ${s.message ?? ''}`.trim(), s)
    }
    const row = rowOf(object)
    if (ev.type === 'BOOKMARK') {
      const meta = isObj(row?.object.metadata) ? row.object.metadata : isObj(object.metadata) ? object.metadata : {}
      if (typeof meta.resourceVersion === 'string') yield { type: 'BOOKMARK', resourceVersion: meta.resourceVersion }
      continue
    }
    if ((ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') && row) {
      yield { type: ev.type, row: { object: typed(row.object), cells: row.cells }, columns: object.kind === 'Table' ? columnsOf(object) : undefined }
    }
  }
}

/** A watch event's object: a one-row Table, or the plain object when the server did not print it. */
function rowOf(object: Obj): Row | undefined {
  if (object.kind !== 'Table') return isObj(object.metadata) ? { object, cells: undefined } : undefined
  const row = Array.isArray(object.rows) ? object.rows[0] : undefined
  if (!isObj(row) || !isObj(row.object)) return undefined
  return { object: row.object, cells: Array.isArray(row.cells) ? row.cells : undefined }
}

function typer(type: ResourceType): (object: Obj) => Obj {
  const apiVersion = apiVersionOf(type)
  return (object) => ({ ...object, apiVersion, kind: type.kind })
}

/** Column definitions, when the Table carries them (a watch sends them with its first event only). */
function columnsOf(table: Obj): TableColumn[] | undefined {
  if (!Array.isArray(table.columnDefinitions) || table.columnDefinitions.length === 0) return undefined
  return table.columnDefinitions.filter(isObj).map((c) => ({
    name: typeof c.name === 'string' ? c.name : '',
    type: typeof c.type === 'string' ? c.type : 'string',
    format: typeof c.format === 'string' ? c.format : '',
    description: typeof c.description === 'string' ? c.description : '',
    priority: typeof c.priority === 'number' ? c.priority : 0,
  }))
}
