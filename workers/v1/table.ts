// Reads as the apiserver's Table (`as=Table`, `includeObject=Object`): each row is the whole object plus
// its printed cells, which Steve shows as `metadata.fields` and describes in the schema's columns (for
// CRDs the cells are their additionalPrinterColumns). A server that cannot print a type answers a plain
// object or list, read the same way without cells.
import { apiVersionOf, resourcePath, type KubeClient } from '../../protocol/kube/index.ts'
import type { SteveType } from './discovery.ts'
import { isRecord, requestJson } from './kube-json.ts'

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
/** Rows per LIST page through the tunnel. */
export const PAGE_SIZE = 500

export interface TableColumn {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export type Obj = Record<string, unknown>

export interface Row {
  object: Obj
  cells: unknown[] | undefined
}

export interface TablePage {
  columns: TableColumn[] | undefined
  rows: Row[]
  resourceVersion: string | undefined
  continue: string | undefined
}

/** One object, as a one-row page. */
export function getObject(client: KubeClient, type: SteveType, name: string, namespace: string | undefined): Promise<TablePage> {
  return tableRequest(client, type, 'GET', `${resourcePath(type, { namespace, name })}?includeObject=Object`)
}

/** A write whose answer comes back printed (the apiserver prints create, update and patch answers too). */
export function writeObject(client: KubeClient, type: SteveType, method: string, path: string, body: unknown, contentType?: string): Promise<TablePage> {
  const query = `${path.includes('?') ? '&' : '?'}includeObject=Object`
  return tableRequest(client, type, method, `${path}${query}`, { body, ...(contentType ? { contentType } : {}) })
}

/**
 * Every page of a LIST (all namespaces when `namespace` is undefined), one at a time; with
 * `notOlderThan`, the first page is at least that resourceVersion (Steve's `revision=`).
 */
export async function* listPages(client: KubeClient, type: SteveType, namespace: string | undefined, limit = PAGE_SIZE, notOlderThan?: string): AsyncGenerator<TablePage> {
  let cont: string | undefined
  do {
    const q = new URLSearchParams({ includeObject: 'Object', limit: String(limit) })
    if (cont) q.set('continue', cont)
    else if (notOlderThan) {
      q.set('resourceVersion', notOlderThan)
      q.set('resourceVersionMatch', 'NotOlderThan')
    }
    const page = await tableRequest(client, type, 'GET', `${resourcePath(type, { namespace })}?${q}`)
    yield page
    cont = page.continue
  } while (cont)
}

async function tableRequest(client: KubeClient, type: SteveType, method: string, path: string, opts: { body?: unknown; contentType?: string } = {}): Promise<TablePage> {
  return parseTable(await requestJson<unknown>(client, method, path, { accept: TABLE_ACCEPT, ...opts }), type)
}

/** A Table, a list or one object as rows; objects get their type's apiVersion and kind when missing. */
export function parseTable(body: unknown, type: SteveType): TablePage {
  const page: TablePage = { columns: undefined, rows: [], resourceVersion: undefined, continue: undefined }
  if (!isRecord(body)) return page
  const meta = isRecord(body.metadata) ? body.metadata : {}
  if (typeof meta.resourceVersion === 'string') page.resourceVersion = meta.resourceVersion
  if (typeof meta.continue === 'string' && meta.continue !== '') page.continue = meta.continue
  const typed = (object: Obj): Obj => ({ apiVersion: apiVersionOf(type), kind: type.kind, ...object })
  if (body.kind === 'Table') {
    page.columns = Array.isArray(body.columnDefinitions) ? body.columnDefinitions.filter(isRecord).map(column) : undefined
    for (const row of Array.isArray(body.rows) ? body.rows : []) {
      if (isRecord(row) && isRecord(row.object)) page.rows.push({ object: typed(row.object), cells: Array.isArray(row.cells) ? row.cells : undefined })
    }
  } else if (Array.isArray(body.items)) {
    for (const item of body.items) if (isRecord(item)) page.rows.push({ object: typed(item), cells: undefined })
  } else if (isRecord(body.metadata)) {
    page.rows.push({ object: typed(body), cells: undefined })
  }
  return page
}

function column(c: Obj): TableColumn {
  return {
    name: typeof c.name === 'string' ? c.name : '',
    type: typeof c.type === 'string' ? c.type : 'string',
    format: typeof c.format === 'string' ? c.format : '',
    description: typeof c.description === 'string' ? c.description : '',
    priority: typeof c.priority === 'number' ? c.priority : 0,
  }
}
