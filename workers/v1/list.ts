// `GET /v1/<type>` and `/v1/<type>/<namespace>`. Where the caller may list comes from access reviews
// (access.ts): every namespace, or those where a review allowed it. The answer comes from the cluster's
// list index when it holds the type (cached.ts), given exactly those namespaces; otherwise straight
// through the tunnel: LISTs *as the caller* — one cluster-wide when allowed, else one per allowed
// namespace — so the apiserver decides every object that passes and no wider read is made and filtered.
// Those rows arrive as a Table (cells become `metadata.fields`) and are evaluated in memory by the
// contract's reference evaluator (filter, sort, page, summary). Either way items are formatted here,
// with links for the methods the caller may use on each.
import {
  evaluateList,
  formatCollection,
  formatResource,
  parseListQuery,
  projectResource,
  PROJECT_LABEL,
  SteveError,
  type ListQuery,
  type SteveCollection,
  type SteveResource,
  type SummaryEntry,
} from '../../protocol/api/steve/index.ts'
import type { CachedList } from '../../objects/cache/list-cache.ts'
import { isNamespaceType, KubeError, NAMESPACE, type KubeClient } from '../../protocol/kube/index.ts'
import { isEmpty, namespaceAccess, REVIEW_CONCURRENCY, verbsOn, type NamespaceAccess } from './access.ts'
import { cachedPage } from './cached.ts'
import { assertFieldsExist } from './fields.ts'
import { rememberColumns } from './columns.ts'
import { typeRef, type SteveType } from './discovery.ts'
import { isRecord } from './kube-json.ts'
import { namespacesWithGrants, rulesFor } from './rules.ts'
import { isVisible, methodsFor } from './schemas.ts'
import type { ClusterScope } from './scope.ts'
import { getObject, listPages, type Obj, type Row, type TablePage } from './table.ts'
import { mapLimited } from './ttl-cache.ts'

/** Objects one pass-through list holds in memory at most (an isolate has 128 MB). */
export const MAX_PASS_THROUGH_OBJECTS = 20_000
/** How long a list too large to answer through the tunnel waits for the index's first list of its type. */
export const INDEX_WAIT_MS = 25_000

/** A type with more objects than the tunnel path answers: the caller waits for the index instead. */
class TooManyForPassThrough extends SteveError {}
/** Verbs whose links items carry (Steve: update, patch, remove). */
export const LINK_VERBS = ['update', 'patch', 'delete'] as const

export interface ListRequest {
  type: SteveType
  /** `/v1/<type>/<namespace>`: only that namespace. */
  namespace: string | undefined
  params: URLSearchParams
  /** The request's own absolute URL. */
  selfUrl: string
}

/** One page: its items, formatted, and what the collection says about them. */
interface Page {
  items: SteveResource[]
  count: number
  pages: number | undefined
  continue: string | undefined
  revision: string | undefined
  summary: SummaryEntry[] | undefined
}

/** Where a list was answered from (the `X-Drover-List` header says it, for benchmarks and tests). */
export type ListSource = 'index' | 'tunnel'

export async function listAnswer(scope: ClusterScope, req: ListRequest): Promise<{ collection: SteveCollection; source: ListSource }> {
  const { type } = req
  const query = parseListQuery(req.params)
  if (!type.verbs.includes('list')) throw SteveError.of('MethodNotAllowed', `${type.id} cannot be listed`)
  await assertFieldsExist(scope, type, query)
  const [access, linkVerbs, create] = await Promise.all([
    namespaceAccess(scope, type, 'list'),
    verbsOn(scope, type, LINK_VERBS),
    type.verbs.includes('create') ? namespaceAccess(scope, type, 'create') : Promise.resolve<NamespaceAccess>([]),
  ])
  if (isEmpty(access) && !isNamespaceType(type) && !isVisible(methodsFor(await rulesFor(scope), type))) {
    // No grant on the type at all: Steve does not show it to this caller (404), as for a type that does not exist.
    throw SteveError.of('NotFound', `schema ${type.id} not found`)
  }
  const within: NamespaceAccess = req.namespace === undefined ? access : access === 'all' ? [req.namespace] : access.filter((ns) => ns === req.namespace)
  // Namespaces shown by Steve's rule (a grant inside, not on them), and objects granted by name, are not
  // the index's to pick: they are read one by one as the caller.
  const useIndex = access === 'all' || type.namespaced
  const base = { type: typeRef(type), v1Url: scope.v1Url, kubeUrl: scope.kubeUrl }
  // Each object is formatted once, with the links the caller's verbs allow on it.
  const format = (row: Row): SteveResource => {
    const namespace = (row.object.metadata as Obj | undefined)?.namespace
    const verbs = linkVerbs(typeof namespace === 'string' ? namespace : undefined)
    return formatResource(row.object, { ...base, verbs, ...(row.cells ? { cells: row.cells } : {}) })
  }
  let indexed = useIndex ? await cachedPage(scope, type, query, within) : undefined
  let page: Page
  try {
    page = indexed ? indexPage(scope, type, indexed, format) : await passThroughPage(scope, type, access, req.namespace, query, format)
  } catch (e) {
    // A large type asked for before the index has listed it: wait for its first list rather than fail.
    if (!(e instanceof TooManyForPassThrough) || !useIndex) throw e
    indexed = await cachedPage(scope, type, query, within, INDEX_WAIT_MS)
    if (!indexed) throw e
    page = indexPage(scope, type, indexed, format)
  }
  const data = page.items.map((item) => projectResource(item, query))
  const collectionUrl = `${scope.v1Url}/${type.pluralId}${req.namespace ? `/${req.namespace}` : ''}`
  const collection = formatCollection(data, {
    resourceType: type.id,
    selfUrl: req.selfUrl,
    ...(!isEmpty(create) ? { createUrl: collectionUrl } : {}),
    ...(page.revision ? { revision: page.revision } : {}),
    ...(page.continue ? { continue: page.continue } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
    count: page.count,
    ...(page.pages ? { pages: page.pages } : {}),
    ...(page.summary ? { summary: page.summary } : {}),
  })
  return { collection, source: indexed ? 'index' : 'tunnel' }
}

/** The index's answer; its objects and cells are JSON text, parsed here. */
function indexPage(scope: ClusterScope, type: SteveType, list: CachedList, format: (row: Row) => SteveResource): Page {
  rememberColumns(scope, type, list.columns)
  const items = list.items.map((item) => format({ object: JSON.parse(item.object) as Obj, cells: item.cells === null ? undefined : (JSON.parse(item.cells) as unknown[]) }))
  return { items, count: list.count, pages: list.pages, continue: list.continue, revision: list.revision || undefined, summary: list.summary }
}

/** Every visible row read through the tunnel, then filtered, sorted and paged in memory. */
async function passThroughPage(
  scope: ClusterScope,
  type: SteveType,
  access: NamespaceAccess,
  namespace: string | undefined,
  query: ListQuery,
  format: (row: Row) => SteveResource,
): Promise<Page> {
  const rows = await readRows(scope, type, access, namespace, query)
  // Evaluated as formatted (the query names fields as /v1 shows them), before exclude/include.
  const items = rows.map(format)
  const projectOf = query.projectsOrNamespaces && !isNamespaceType(type) ? await projectsOf(scope) : undefined
  const page = evaluateList(items, query, { namespaces: isNamespaceType(type), ...(projectOf ? { projectOf: (ns: string) => projectOf.get(ns) } : {}) })
  return {
    items: page.items,
    count: page.count,
    pages: page.pages,
    continue: page.continue,
    revision: rows.revision,
    summary: page.summary,
  }
}

type Rows = Row[] & { revision?: string }

/** The rows the caller may see (visiblePages), held for evaluation, with the list's revision. */
async function readRows(scope: ClusterScope, type: SteveType, access: NamespaceAccess, namespace: string | undefined, query: ListQuery): Promise<Rows> {
  const dropManaged = query.exclude.some((p) => p.length === 2 && p[0] === 'metadata' && p[1] === 'managedFields')
  const rows: Rows = []
  const revisions: bigint[] = []
  try {
    for await (const page of visiblePages(scope, type, access, namespace, query.revision)) {
      if (page.resourceVersion && /^[0-9]+$/.test(page.resourceVersion)) revisions.push(BigInt(page.resourceVersion))
      for (const row of page.rows) {
        if (dropManaged && isRecord(row.object.metadata)) delete row.object.metadata.managedFields
        rows.push(row)
        if (rows.length > MAX_PASS_THROUGH_OBJECTS) {
          throw new TooManyForPassThrough(503, 'ServiceUnavailable', `more than ${MAX_PASS_THROUGH_OBJECTS} ${type.pluralId}: the list cache is still listing them; try again in a few seconds`)
        }
      }
    }
  } catch (e) {
    throw unknownRevision(e, query) ?? e
  }

  // The oldest list's version: a watch from there misses nothing of any of them.
  if (revisions.length > 0) rows.revision = revisions.reduce((a, b) => (a < b ? a : b)).toString()
  return rows
}

/**
 * The pages of objects the caller may see, one page in memory at a time: LISTs as the caller where
 * `access` allows (within `namespace` when one is asked). Namespaces are the exception Steve makes: a
 * caller who may not list them sees those they hold a grant in, read as the list cache (their grant may
 * be on other types only), by name.
 */
export async function* visiblePages(scope: ClusterScope, type: SteveType, access: NamespaceAccess, namespace: string | undefined, revision?: string): AsyncGenerator<TablePage> {
  const pages = (client: KubeClient, ns: string | undefined) => listPages(client, type, ns, undefined, revision)
  if (access === 'all') {
    for await (const page of pages(scope.user, namespace)) yield remembered(scope, type, page)
  } else if (type.namespaced) {
    for (const ns of namespace === undefined ? access : access.filter((n) => n === namespace)) {
      for await (const page of pages(scope.user, ns)) yield remembered(scope, type, page)
    }
  } else if (isNamespaceType(type)) {
    const names = new Set(namespacesWithGrants(await rulesFor(scope)))
    if (names.size === 0) return
    for await (const page of pages(scope.system, undefined)) {
      yield { ...page, rows: page.rows.filter((row) => names.has(String((row.object.metadata as Obj | undefined)?.name))) }
    }
  } else {
    // Granted by name: each object read as the caller (one the apiserver refuses or that is gone is skipped).
    const named = await mapLimited(access, REVIEW_CONCURRENCY, (name) => getObject(scope.user, type, name, undefined).catch(() => undefined))
    const found = named.filter((p): p is TablePage => p !== undefined && p.rows.length > 0)
    if (found.length) yield remembered(scope, type, { ...found[0]!, rows: found.flatMap((p) => p.rows) })
  }
}

function remembered(scope: ClusterScope, type: SteveType, page: TablePage): TablePage {
  rememberColumns(scope, type, page.columns)
  return page
}

/** A revision newer than the cluster's: Steve answers 400 for a revision it does not know. */
function unknownRevision(e: unknown, query: ListQuery): SteveError | undefined {
  if (!query.revision || !(e instanceof KubeError) || (e.status !== 504 && e.status !== 410 && e.status !== 400)) return undefined
  return SteveError.of('BadRequest', `unknown revision ${query.revision}`, 'revision')
}

/** Namespace → project id (`field.cattle.io/projectId`), read as the list cache: labels only narrow. */
async function projectsOf(scope: ClusterScope): Promise<Map<string, string>> {
  const projects = new Map<string, string>()
  for await (const page of scope.system.pages(NAMESPACE)) {
    for (const ns of page.items) {
      const project = ns.metadata.labels?.[PROJECT_LABEL]
      if (ns.metadata.name && project) projects.set(ns.metadata.name, project)
    }
  }
  return projects
}
