// `/v1/counts`: Steve's one `count` resource — per type the caller may list and watch, how many objects
// they may see, in all and per namespace, with how many are in error or in progress (Steve's `count`
// shape: zero numbers and empty maps left out). Answered straight through the tunnel by the same LISTs
// as a list (list.ts: as the caller, where access reviews allow), a page at a time, so nothing is held.
import { objectState } from '../../protocol/api/steve/index.ts'
import { namespaceAccess, REVIEW_CONCURRENCY } from './access.ts'
import { discovery, type SteveType } from './discovery.ts'
import { visiblePages } from './list.ts'
import { hasVerb, rulesFor, verbsAnywhere } from './rules.ts'
import { isNamespaceType } from './schemas.ts'
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

export async function countResource(scope: ClusterScope): Promise<CountResource> {
  const [{ types }, rules] = await Promise.all([discovery(scope), rulesFor(scope)])
  // Steve counts the types whose collection the caller may read (list, watch); access reviews then say where.
  const countable = types.filter((t) => t.verbs.includes('list') && t.verbs.includes('watch')).filter((t) => {
    const verbs = verbsAnywhere(rules, t)
    return (hasVerb(verbs, 'list') && hasVerb(verbs, 'watch')) || isNamespaceType(t)
  })
  const counted = await mapLimited(countable, REVIEW_CONCURRENCY, (type) => countType(scope, type))
  const counts: Record<string, ItemCount> = {}
  countable.forEach((type, i) => {
    const count = counted[i]
    if (count) counts[type.id] = count
  })
  return { id: 'count', type: 'count', links: { self: `${scope.v1Url}/counts/count` }, counts }
}

/** One type's counts, or undefined when the caller may list it nowhere or it cannot be read now. */
async function countType(scope: ClusterScope, type: SteveType): Promise<ItemCount | undefined> {
  const access = await namespaceAccess(scope, type, 'list')
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

  summary(): CountSummary {
    const s: CountSummary = {}
    if (this.count) s.count = this.count
    if (this.states.size > 0) s.states = Object.fromEntries(this.states)
    if (this.errors) s.errors = this.errors
    if (this.transitioning) s.transitioning = this.transitioning
    return s
  }
}
