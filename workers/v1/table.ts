// `/v1`'s reads and writes as the apiserver's Table (protocol/kube/table.ts parses them): one object, a
// write's answer, and a LIST page by page, as the caller or the cache's identity.
import { parseTable, resourcePath, TABLE_ACCEPT, type KubeClient, type TablePage } from '../../protocol/kube/index.ts'
import type { SteveType } from './discovery.ts'

export type { Row, TableColumn, TablePage } from '../../protocol/kube/index.ts'
export type Obj = Record<string, unknown>

/** Rows per LIST page through the tunnel. */
export const PAGE_SIZE = 500

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
  return parseTable(await client.request<unknown>(method, path, { accept: TABLE_ACCEPT, ...opts }), type)
}
