// The list cache's reads: a LIST page and a WATCH of every namespace as the apiserver's Table
// (protocol/kube/table.ts parses both), through the one client's transport with the feed's abort signal.
// Failures are the client's KubeError.
import { readLines } from '../../protocol/kube/lines.ts'
import { KubeError, parseTable, resourcePath, TABLE_ACCEPT, tableEvent, type KubeClient, type ResourceType, type TableEvent, type TablePage } from '../../protocol/kube/index.ts'

export type { Row, TableColumn, TableEvent, TablePage } from '../../protocol/kube/index.ts'

/** Cap on one watch event (a Table row with its object). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024

/** One page of a LIST of every namespace; `continue` continues a paged list. */
export async function listTablePage(client: KubeClient, type: ResourceType, opts: { limit: number; continue?: string; signal?: AbortSignal }): Promise<TablePage> {
  const q = new URLSearchParams({ includeObject: 'Object', limit: String(opts.limit) })
  if (opts.continue) q.set('continue', opts.continue)
  const path = `${resourcePath(type)}?${q}`
  return parseTable(await client.request<unknown>('GET', path, { accept: TABLE_ACCEPT, ...(opts.signal ? { signal: opts.signal } : {}) }), type)
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
  const res = await client.send('GET', path, { accept: TABLE_ACCEPT, ...(opts.signal ? { signal: opts.signal } : {}) })
  if (!res.ok) throw KubeError.fromResponse('GET', path, res.status, await res.text())
  if (!res.body) return
  for await (const line of readLines(res.body, MAX_EVENT_BYTES)) {
    const ev = tableEvent(line, type)
    if (ev) yield ev
  }
}
