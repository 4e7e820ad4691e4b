/**
 * A field of a formatted object as `/v1` queries name it: dotted keys with one bracketed key at the
 * end for keys that contain dots or slashes — `metadata.name`, `spec.nodeName`,
 * `metadata.labels[app.kubernetes.io/name]`, `metadata.fields[2]` (the third table cell). Steve splits
 * a name the same way (everything before the first `[` on dots, the bracket's content as the last
 * key), so `metadata.labels.app` and `metadata.labels[app]` are one path.
 *
 * The segments are what both the SQL cache (to pick a column) and the in-memory evaluator (to walk an
 * object) use; `fieldPathText` gives one canonical spelling to key columns and compare paths by.
 */
import { badQuery } from './error.ts'

export type FieldPath = readonly string[]

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/
/** Maps that hold arbitrary keys: their key segment is always spelled in brackets. */
const KEYED_MAPS = new Set(['metadata.labels', 'metadata.annotations', 'metadata.fields'])

/** The segments of a field name, or an error message saying what is wrong with it. */
export function parseFieldPath(text: string): FieldPath | string {
  if (text === '') return 'empty field name'
  const open = text.indexOf('[')
  const head = open === -1 ? text : text.slice(0, open)
  const segments = head.split('.')
  for (const segment of segments) {
    if (!KEY.test(segment)) return `field name '${text}' has an empty or invalid key '${segment}'`
  }
  if (open === -1) return segments
  if (!text.endsWith(']')) return `field name '${text}' must end with ']' after '['`
  const key = text.slice(open + 1, -1)
  if (key === '' || key.includes('[') || key.includes(']')) {
    return `field name '${text}' has an empty or nested bracketed key`
  }
  return [...segments, key]
}

/** The one spelling of a path: dotted, with the last key bracketed in label/annotation/field maps or when it needs it. */
export function fieldPathText(path: FieldPath): string {
  if (path.length < 2) return path.join('.')
  const head = path.slice(0, -1).join('.')
  const last = path[path.length - 1] as string
  return KEYED_MAPS.has(head) || !KEY.test(last) ? `${head}[${last}]` : `${head}.${last}`
}

/** The label key when the path names one label (`metadata.labels[k]`), else undefined. */
export function labelKeyOf(path: FieldPath): string | undefined {
  return path.length === 3 && path[0] === 'metadata' && path[1] === 'labels' ? path[2] : undefined
}

/** The table-cell index when the path is `metadata.fields[N]`, else undefined. */
export function tableCellOf(path: FieldPath): number | undefined {
  if (path.length !== 3 || path[0] !== 'metadata' || path[1] !== 'fields') return undefined
  const index = path[2] as string
  return /^(0|[1-9][0-9]{0,3})$/.test(index) ? Number(index) : undefined
}

/** The value at a path: walks objects by key and arrays by numeric index; undefined when absent. */
export function valueAt(object: unknown, path: FieldPath): unknown {
  let value = object
  for (const segment of path) {
    if (Array.isArray(value)) {
      if (!/^[0-9]+$/.test(segment)) return undefined
      value = value[Number(segment)]
    } else if (value !== null && typeof value === 'object') {
      value = (value as Record<string, unknown>)[segment]
    } else {
      return undefined
    }
  }
  return value
}

/** A field path from a query parameter, or a 400 naming the parameter. */
export function queryFieldPath(param: string, text: string): FieldPath {
  const path = parseFieldPath(text)
  if (typeof path === 'string') throw badQuery(param, path)
  if (path.length === 3 && path[0] === 'metadata' && path[1] === 'fields' && tableCellOf(path) === undefined) {
    throw badQuery(param, `'${text}': a table cell is named by its index, e.g. metadata.fields[2]`)
  }
  return path
}
