// The apiserver's Table (`Accept: …as=Table`, `includeObject=Object`): each row is the whole object plus
// its printed cells — what Steve shows as `metadata.fields` and describes as a type's columns (for CRDs,
// their additionalPrinterColumns). A server that cannot print a type answers a plain object or list,
// read the same way without cells. One reader for the list cache's feeds and the edge's `/v1` answers.
import { KubeError } from './errors.ts'
import { apiVersionOf, type ResourceType } from './resource.ts'

/** The Table if the server prints the type, else plain JSON. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'

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
  resourceVersion: string | undefined
  continue: string | undefined
}

export type TableEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; row: Row; columns: TableColumn[] | undefined }
  | { type: 'BOOKMARK'; resourceVersion: string }

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Objects carry their type's apiVersion and kind (Table rows and list items may leave them out). */
function typer(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): (object: Obj) => Obj {
  const apiVersion = apiVersionOf(type)
  return (object) => ({ ...object, apiVersion, kind: type.kind })
}

/** A Table, a list or one object (a GET or a write's answer) as rows. */
export function parseTable(body: unknown, type: Pick<ResourceType, 'group' | 'version' | 'kind'>): TablePage {
  const page: TablePage = { columns: undefined, rows: [], resourceVersion: undefined, continue: undefined }
  if (!isObj(body)) return page
  const meta = isObj(body.metadata) ? body.metadata : {}
  if (typeof meta.resourceVersion === 'string') page.resourceVersion = meta.resourceVersion
  if (typeof meta.continue === 'string' && meta.continue !== '') page.continue = meta.continue
  const typed = typer(type)
  if (body.kind === 'Table') {
    page.columns = columnsOf(body)
    for (const row of Array.isArray(body.rows) ? body.rows : []) {
      if (isObj(row) && isObj(row.object)) page.rows.push({ object: typed(row.object), cells: Array.isArray(row.cells) ? row.cells : undefined })
    }
  } else if (Array.isArray(body.items)) {
    for (const item of body.items) if (isObj(item)) page.rows.push({ object: typed(item), cells: undefined })
  } else if (isObj(body.metadata) && body.kind !== undefined && !String(body.kind).endsWith('List')) {
    page.rows.push({ object: typed(body), cells: undefined })
  }
  return page
}

/**
 * One line of a Table watch as an event; undefined for lines that carry nothing to apply. An ERROR event
 * throws its Status as a KubeError (410: the caller re-lists).
 */
export function tableEvent(line: string, type: Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural'>): TableEvent | undefined {
  const ev = JSON.parse(line) as { type?: unknown; object?: unknown }
  const object = isObj(ev.object) ? ev.object : {}
  if (ev.type === 'ERROR') {
    const s = object as { code?: number; reason?: string; message?: string }
    throw new KubeError(s.code ?? 500, s.reason ?? '', `watch ${type.plural}: ${s.code ?? ''} ${s.reason ?? ''} ${s.message ?? ''}`.trim(), s)
  }
  const row = rowOf(object)
  if (ev.type === 'BOOKMARK') {
    const meta = isObj(row?.object.metadata) ? row.object.metadata : isObj(object.metadata) ? object.metadata : {}
    return typeof meta.resourceVersion === 'string' ? { type: 'BOOKMARK', resourceVersion: meta.resourceVersion } : undefined
  }
  if ((ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') && row) {
    return { type: ev.type, row: { object: typer(type)(row.object), cells: row.cells }, columns: object.kind === 'Table' ? columnsOf(object) : undefined }
  }
  return undefined
}

/** A watch event's object: a one-row Table, or the plain object when the server did not print it. */
function rowOf(object: Obj): Row | undefined {
  if (object.kind !== 'Table') return isObj(object.metadata) ? { object, cells: undefined } : undefined
  const row = Array.isArray(object.rows) ? object.rows[0] : undefined
  if (!isObj(row) || !isObj(row.object)) return undefined
  return { object: row.object, cells: Array.isArray(row.cells) ? row.cells : undefined }
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
