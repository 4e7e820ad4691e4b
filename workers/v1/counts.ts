// `/v1/counts`: Steve's one `count` resource — per type the caller may list and watch, how many objects
// they may see, in all and per namespace, with how many are in error or in progress (Steve's `count`
// shape: zero numbers and empty maps left out). Answered straight through the tunnel by the same LISTs
// as a list (list.ts: as the caller, where access reviews allow), a page at a time, so nothing is held.
import { objectState, parseListQuery } from '../../protocol/api/steve/index.ts'
import { isRedacted } from '../../objects/cache/redact.ts'
import { isEmpty, namespaceAccess, REVIEW_CONCURRENCY, type NamespaceAccess } from './access.ts'
import { discovery, type SteveType } from './discovery.ts'
import { visiblePages } from './list.ts'
import { hasVerb, rulesFor, verbsAnywhere } from './rules.ts'
import { isNamespaceType } from '../../protocol/kube/index.ts'
import type { ClusterScope } from './scope.ts'
import type { Obj } from './table.ts'
import { mapLimited } from './ttl-cache.ts'

export interface CountSummary {
  count?: number
  states?: Record<string, number>
  errors?: number
  transitioning?: number
}

export interface ItemCount {
  summary: CountSummary
  namespaces?: Record<string, CountSummary>
}

export interface CountResource {
  id: 'count'
  type: 'count'
  links: { self: string }
  counts: Record<string, ItemCount>
}

/** How many types were counted where (the `X-Drover-Counts` header says it, for benchmarks and tests). */
export interface CountSources {
  index: number
  tunnel: number
}

export async function countResource(scope: ClusterScope, sources: CountSources = { index: 0, tunnel: 0 }): Promise<CountResource> {
  const [{ types }, rules] = await Promise.all([discovery(scope), rulesFor(scope)])
  // Steve counts the types whose collection the caller may read (list, watch); access reviews then say where.
  const countable = types.filter((t) => t.verbs.includes('list') && t.verbs.includes('watch')).filter((t) => {
    const verbs = verbsAnywhere(rules, t)
    return (hasVerb(verbs, 'list') && hasVerb(verbs, 'watch')) || isNamespaceType(t)
  })
  const counted = await mapLimited(countable, REVIEW_CONCURRENCY, (type) => countType(scope, type, sources))
  const counts: Record<string, ItemCount> = {}
  countable.forEach((type, i) => {
    const count = counted[i]
    if (count) counts[type.id] = count
  })
  return { id: 'count', type: 'count', links: { self: `${scope.v1Url}/counts/count` }, counts }
}

/** One type's counts, or undefined when the caller may list it nowhere or it cannot be read now. */
async function countType(scope: ClusterScope, type: SteveType, sources: CountSources): Promise<ItemCount | undefined> {
  const access = await namespaceAccess(scope, type, 'list')
  const fromIndex = await indexCount(scope, type, access)
  if (fromIndex !== null) {
    sources.index++
    return fromIndex
  }
  sources.tunnel++
  const total: Tally = new Tally()
  const perNamespace = new Map<string, Tally>()
  try {
    for await (const page of visiblePages(scope, type, access, undefined)) {
      for (const { object } of page.rows) {
        const state = objectState(object)
        total.add(state)
        const ns = (object.metadata as Obj | undefined)?.namespace
        if (typeof ns === 'string' && ns !== '') {
          let tally = perNamespace.get(ns)
          if (!tally) perNamespace.set(ns, (tally = new Tally()))
          tally.add(state)
        }
      }
    }
  } catch (e) {
    // One type that cannot be read (an aggregated API that is down) leaves the others' counts standing.
    console.warn(`/v1/counts: ${type.id} in cluster ${scope.cluster}: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
  if (access !== 'all' && total.count === 0 && !isNamespaceType(type) && access.length === 0) return undefined
  const count: ItemCount = { summary: total.summary() }
  if (perNamespace.size > 0) count.namespaces = Object.fromEntries([...perNamespace].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ns, t]) => [ns, t.summary()]))
  return count
}

const byNamespace = (...filters: string[]) => parseListQuery(new URLSearchParams(['pagesize=1', 'summary=metadata.namespace', ...filters.map((f) => `filter=${f}`)].join('&')))
/** All, in error, in progress, and in progress but not in error (Steve's `in-progress` state): see Tally.add. */
const COUNT_QUERIES = [
  byNamespace(),
  byNamespace('metadata.state.error=true'),
  byNamespace('metadata.state.transitioning=true'),
  byNamespace('metadata.state.transitioning=true', 'metadata.state.error=false'),
] as const

/**
 * A type the list index already holds, counted there (three GROUP BYs, where the caller may list) rather
 * than by reading every object through the tunnel — the cost that makes Steve's counts slow on large
 * clusters. `null`: not held (or not the index's to answer); the caller counts through the tunnel.
 */
async function indexCount(scope: ClusterScope, type: SteveType, access: NamespaceAccess): Promise<ItemCount | undefined | null> {
  if (!scope.index || isRedacted(type) || (isNamespaceType(type) && access !== 'all')) return null
  if (isEmpty(access)) return undefined
  const spec = { group: type.group, version: type.version, plural: type.plural, kind: type.kind, namespaced: type.namespaced }
  const namespaces = access === 'all' ? 'all' : [...access]
  const [all, errors, transitioning, inProgress] = await Promise.all(COUNT_QUERIES.map((q) => scope.index!.listIfHeld(scope.cluster, spec, q, namespaces)))
  if (all?.kind !== 'list' || errors?.kind !== 'list' || transitioning?.kind !== 'list' || inProgress?.kind !== 'list') return null
  const perNs = (answer: typeof all) => answer.summary?.find((e) => e.property === 'metadata.namespace')?.counts ?? {}
  const total = new Tally()
  const tallies = new Map<string, Tally>()
  const tallyOf = (ns: string) => tallies.get(ns) ?? (tallies.set(ns, new Tally()), tallies.get(ns)!)
  for (const [ns, n] of Object.entries(perNs(all))) if (ns) tallyOf(ns).count = n
  for (const [ns, n] of Object.entries(perNs(errors))) if (ns) tallyOf(ns).addErrors(n)
  for (const [ns, n] of Object.entries(perNs(transitioning))) if (ns) tallyOf(ns).addTransitioning(n)
  for (const [ns, n] of Object.entries(perNs(inProgress))) if (ns) tallyOf(ns).addInProgress(n)
  total.count = all.count
  total.addErrors(errors.count)
  total.addTransitioning(transitioning.count)
  total.addInProgress(inProgress.count)
  if (access !== 'all' && total.count === 0 && !isNamespaceType(type)) return undefined
  const count: ItemCount = { summary: total.summary() }
  if (tallies.size > 0) count.namespaces = Object.fromEntries([...tallies].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ns, t]) => [ns, t.summary()]))
  return count
}

class Tally {
  count = 0
  errors = 0
  transitioning = 0
  readonly states = new Map<string, number>()

  add(state: { error: boolean; transitioning: boolean }): void {
    this.count++
    if (state.error) this.errors++
    if (state.transitioning) this.transitioning++
    // Steve's simple state: only error and in-progress are counted by name.
    const simple = state.error ? 'error' : state.transitioning ? 'in-progress' : ''
    if (simple) this.states.set(simple, (this.states.get(simple) ?? 0) + 1)
  }

  /** `n` objects in error (an error is never also counted as in progress, as in add()). */
  addErrors(n: number): void {
    if (!n) return
    this.errors += n
    this.states.set('error', (this.states.get('error') ?? 0) + n)
  }

  /** `n` objects in progress (in error or not). */
  addTransitioning(n: number): void {
    this.transitioning += n
  }

  /** `n` objects in progress and not in error: Steve's `in-progress` simple state. */
  addInProgress(n: number): void {
    if (n) this.states.set('in-progress', (this.states.get('in-progress') ?? 0) + n)
  }

  summary(): CountSummary {
    const s: CountSummary = {}
    if (this.count) s.count = this.count
    if (this.states.size > 0) s.states = Object.fromEntries(this.states)
    if (this.errors) s.errors = this.errors
    if (this.transitioning) s.transitioning = this.transitioning
    return s
  }
}
