// The SQL answers of the list index against the reference evaluator (protocol/api/steve/evaluate.ts) on
// the same objects and the same queries: filters of every operator on columns, indexed facts (cells,
// labels, per-type paths) and unindexed JSON paths; sorts with absent values, numbers, ip(); paging;
// summaries; projectsornamespaces; a caller's namespace restriction. In workerd, on a Durable Object's
// own SQLite.
import { env, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { evaluateList, formatResource, parseListQuery, PROJECT_LABEL, type ListQuery } from '../../protocol/api/steve/index.ts'
import { NAMESPACE, type ResourceType } from '../../protocol/kube/index.ts'
import { answerPage, translationOf } from './list-cache.ts'
import { IndexSql, MAX_BINDINGS } from './sql.ts'
import { TypeIndex } from './type-index.ts'

const POD: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true }
const NOW = Date.parse('2026-12-01T12:00:00Z')
type Obj = Record<string, unknown>

const namespaces: Obj[] = [
  ns('default', 'p-1'),
  ns('team-a', 'p-1'),
  ns('team-b', 'p-2'),
  ns('kube-system', undefined),
]

function ns(name: string, project: string | undefined): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, resourceVersion: '5', creationTimestamp: '2026-11-01T00:00:00Z', labels: project ? { [PROJECT_LABEL]: project } : { plain: 'yes' } },
    status: { phase: 'Active' },
  }
}

/** Pods with every shape the rules care about: absent fields, numbers and text, arrays, booleans, odd names. */
function pods(): { object: Obj; cells: unknown[] }[] {
  const names = ['web-1', 'web-2', 'Web-3', 'api', 'DNS-1', 'café', 'worker_%', 'z-last', 'a-first', 'web-10']
  const spaces = ['default', 'team-a', 'team-b', 'kube-system']
  const out: { object: Obj; cells: unknown[] }[] = []
  let n = 0
  for (const namespace of spaces) {
    for (const name of names) {
      n++
      const labels: Record<string, string> = {}
      if (n % 3 !== 0) labels.app = ['web', 'api', 'dns'][(n >> 1) % 3] as string
      if (n % 4 === 0) labels.tier = n % 8 === 0 ? 'front' : 'Back'
      const ip = n % 5 === 0 ? undefined : `10.0.${n % 3}.${(n * 7) % 256}`
      const spec: Obj = { containers: [{ name: 'c', image: `img:${n % 4}` }] }
      if (n % 6 !== 0) spec.nodeName = `node-${String.fromCharCode(97 + (n % 3))}`
      if (n % 2 === 0) spec.ports = n % 4 === 0 ? [80, 443] : ['http']
      if (n % 3 === 1) spec.enabled = n % 2 === 0
      spec.priority = n % 7 === 0 ? 1.5 : n % 7
      if (n % 9 === 0) spec.hostIP = `192.168.${n}.1`
      const status: Obj = { phase: n % 4 === 1 ? 'Pending' : 'Running' }
      if (ip) status.podIP = ip
      if (n % 5 === 2) status.conditions = [{ type: 'Ready', status: 'False', message: 'containers not ready' }]
      const metadata: Obj = {
        name,
        namespace,
        uid: `uid-${n}`,
        resourceVersion: String(100 + n),
        creationTimestamp: `2026-11-${String(10 + (n % 17)).padStart(2, '0')}T00:00:00Z`,
        labels,
      }
      if (n === 7) {
        metadata.deletionTimestamp = '2026-12-01T11:58:00Z'
        metadata.finalizers = ['example.com/block']
      }
      const restarts = n % 5 === 0 ? `${n % 4} (5m ago)` : n % 4
      const cells = [name, `${n % 2}/1`, status.phase, restarts, '5d', ip ?? '<none>', spec.nodeName ?? '<none>', n % 2 === 0, n % 10 === 0 ? ['a', 'b'] : []]
      out.push({ object: { apiVersion: 'v1', kind: 'Pod', metadata, spec, status }, cells })
    }
  }
  return out
}

const QUERIES = [
  '',
  'filter=metadata.name=web-1',
  'filter=metadata.name!=web-1',
  'filter=metadata.name~WEB',
  'filter=metadata.name!~web',
  'filter=metadata.name~_%',
  'filter=metadata.name~é',
  'filter=metadata.namespace=team-a',
  'filter=metadata.namespace in (team-a, kube-system)',
  'filter=metadata.namespace notin (default)',
  'filter=id~team-b/',
  'filter=metadata.state.name=running',
  'filter=metadata.state.name in (unavailable, removing)',
  'filter=metadata.state.transitioning=true',
  'filter=metadata.labels[app]=web',
  'filter=metadata.labels[app]!=web',
  'filter=metadata.labels[tier]',
  'filter=!metadata.labels[tier]',
  'filter=metadata.labels[tier]~back',
  'filter=metadata.labels[app] in (api,dns)',
  'filter=metadata.labels[app] notin (api)',
  'filter=metadata.fields[2]=Pending',
  'filter=metadata.fields[3]=2',
  'filter=metadata.fields[3]>1',
  'filter=metadata.fields[3]<2',
  'filter=metadata.fields[3]~ago',
  'filter=metadata.fields[7]=true',
  'filter=metadata.fields[8]=a|b',
  'filter=metadata.fields[8]=""',
  'filter=metadata.fields[12]=x',
  'filter=metadata.fields[12]!=x',
  'filter=spec.nodeName=node-b',
  'filter=spec.nodeName!=node-b',
  'filter=spec.nodeName in (node-a,node-c)',
  'filter=status.podIP~10.0.1',
  'filter=status.podIP!~10.0.1',
  'filter=spec.containers.0.image=img:2',
  'filter=spec.hostIP~192',
  'filter=spec.hostIP!~192',
  'filter=spec.ports=80|443',
  'filter=spec.ports=http',
  'filter=spec.ports~44',
  'filter=spec.enabled=true',
  'filter=spec.enabled!=false',
  'filter=spec.priority=1.5',
  'filter=spec.priority>3',
  'filter=spec.priority<2',
  'filter=spec.priority in (1.5, 2)',
  'filter=status.phase=Pending',
  'filter=spec=x',
  'filter=type=pod',
  'filter=metadata.uid notin (uid-1, uid-2)',
  'filter=metadata.namespace=default,metadata.labels[app]=dns',
  'filter=metadata.namespace=default&filter=metadata.labels[app]=web',
  'filter=metadata.labels[tier],spec.nodeName=node-a&filter=metadata.fields[3]>0',
  'sort=metadata.name',
  'sort=-metadata.name',
  'sort=metadata.namespace,-metadata.name',
  'sort=metadata.fields[3]',
  'sort=-metadata.fields[3]',
  'sort=metadata.fields[7]',
  'sort=spec.nodeName,-metadata.name',
  'sort=-spec.nodeName',
  'sort=ip(status.podIP)',
  'sort=-ip(status.podIP)',
  'sort=ip(metadata.fields[5])',
  'sort=ip(spec.hostIP)',
  'sort=-ip(spec.hostIP),metadata.name',
  'sort=status.podIP',
  'sort=metadata.labels[tier]',
  'sort=-metadata.labels[tier]',
  'sort=spec.priority',
  'sort=-spec.priority',
  'sort=spec.ports',
  'sort=spec.enabled',
  'sort=metadata.creationTimestamp,metadata.name',
  'sort=metadata.state.name',
  'sort=-metadata.state.message',
  'sort=metadata.fields[8]',
  'pagesize=7',
  'pagesize=7&page=3',
  'pagesize=7&page=100',
  'limit=5',
  'limit=5&continue=10',
  'pagesize=5&limit=3',
  'pagesize=6&continue=4&page=2',
  'sort=-metadata.fields[3]&pagesize=4&page=2&filter=metadata.namespace!=kube-system',
  'summary=metadata.state.name',
  'summary=metadata.fields[2],spec.nodeName,metadata.labels[app],metadata.fields[3]',
  'summary=spec.priority,spec.ports,spec.enabled&filter=metadata.namespace=team-a',
  'projectsornamespaces=p-1',
  'projectsornamespaces=p-2,kube-system',
  'projectsornamespaces!=p-1',
  'projectsornamespaces=nothing',
]

const ref = { id: 'pod', pluralId: 'pods', apiPath: '/api/v1', resource: 'pods' }
const format = (object: Obj, cells: unknown[] | undefined) =>
  formatResource(object, { type: ref, v1Url: 'https://edge/v1', kubeUrl: 'https://edge', verbs: [], ...(cells ? { cells } : {}), now: NOW }) as unknown as Obj

interface Compared {
  ids: string[]
  count: number
  pages: number | undefined
  continue: string | undefined
  summary: unknown
}

describe('SQL answers of the list index equal the reference evaluator', () => {
  const stub = env.CACHE.get(env.CACHE.idFromName('sql-test'))
  const counts: number[] = []
  const data = pods()
  const projectOf = (name: string) => ((namespaces.find((n) => (n.metadata as Obj).name === name)?.metadata as Obj).labels as Record<string, string>)[PROJECT_LABEL]

  async function both(text: string, allowed: 'all' | string[]): Promise<{ sql: Compared; reference: Compared }> {
    const query: ListQuery = parseListQuery(new URLSearchParams(text))
    const sql = await runInDurableObject(stub, (_instance, state) => {
      const db = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
      const podRow = db.type('/v1/pods')!
      const nsRow = db.type('/v1/namespaces')!
      const answer = answerPage(db, translationOf(POD, podRow.id, allowed, nsRow.id), query)
      return { ids: answer.items.map((i) => i.id), count: answer.count, pages: answer.pages, continue: answer.continue, summary: answer.summary }
    })
    const visible = data.filter((d) => allowed === 'all' || allowed.includes((d.object.metadata as Obj).namespace as string))
    const reference = evaluateList(visible.map((d) => format(d.object, d.cells)), query, { projectOf })
    return { sql, reference: { ids: reference.items.map((i) => i.id as string), count: reference.count, pages: reference.pages, continue: reference.continue, summary: reference.summary } }
  }

  // Stored through the path a LIST takes, once for every test below.
  beforeAll(async () => {
    await runInDurableObject(stub, (_instance, state) => {
      const db = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
      for (const [type, rows] of [[POD, data], [NAMESPACE, namespaces.map((object) => ({ object, cells: undefined }))]] as const) {
        const row = db.addType(`${type.group}/${type.version}/${type.plural}`, JSON.stringify(type), NOW)
        const index = new TypeIndex(db, row, type, () => NOW)
        const gen = index.beginList()
        index.applyPage(gen, { columns: undefined, rows: [...rows], resourceVersion: '500', continue: undefined })
        index.finishList(gen, '500')
      }
      expect(db.count(db.type('/v1/pods')!.id)).toBe(data.length)
    })
  })

  it.each(QUERIES)('%s', async (text) => {
    const { sql, reference } = await both(text, 'all')
    expect(sql).toEqual(reference)
    counts.push(reference.count)
  })

  it('was asked queries that tell the objects apart (not all empty, not all everything)', () => {
    expect(counts).toHaveLength(QUERIES.length)
    expect(new Set(counts).size).toBeGreaterThan(15)
  })

  it.each(['', 'sort=-metadata.name&pagesize=3', 'summary=metadata.state.name', 'projectsornamespaces=p-1', 'filter=metadata.labels[app]=web'])(
    'restricted to the namespaces the caller may see: %s',
    async (text) => {
      const { sql, reference } = await both(text, ['team-a', 'kube-system'])
      expect(sql).toEqual(reference)
      expect(sql.ids.every((id) => id.startsWith('team-a/') || id.startsWith('kube-system/'))).toBe(true)
    },
  )

  it('answers nothing to a caller who may see no namespace', async () => {
    const { sql } = await both('summary=metadata.state.name', [])
    expect(sql).toMatchObject({ ids: [], count: 0, summary: [{ property: 'metadata.state.name', counts: {} }] })
  })

  it('answers projectsornamespaces on namespaces by their own name and label', async () => {
    for (const text of ['projectsornamespaces=p-1', 'projectsornamespaces!=p-1,kube-system']) {
      const query = parseListQuery(new URLSearchParams(text))
      const ids = await runInDurableObject(stub, (_instance, state) => {
        const db = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
        const row = db.type('/v1/namespaces')!
        return answerPage(db, translationOf(NAMESPACE, row.id, 'all', undefined), query).items.map((i) => i.id)
      })
      const reference = evaluateList(
        namespaces.map((o) => format(o, undefined)),
        query,
        { namespaces: true },
      ).items.map((i) => i.id)
      expect(ids).toEqual(reference)
    }
  })

  it(`refuses a query needing more than ${MAX_BINDINGS} bound values with a 400`, async () => {
    const filters = Array.from({ length: 60 }, (_, i) => `filter=spec.f${i}=v${i}`).join('&')
    const query = parseListQuery(new URLSearchParams(filters))
    const error = await runInDurableObject(stub, (_instance, state) => {
      const db = new IndexSql(state.storage.sql, (fn) => state.storage.transactionSync(fn))
      try {
        answerPage(db, translationOf(POD, db.type('/v1/pods')!.id, 'all', undefined), query)
        return undefined
      } catch (e) {
        return { name: (e as Error).name, status: (e as { status?: number }).status }
      }
    })
    expect(error).toEqual({ name: 'SteveError', status: 400 })
  })
})
