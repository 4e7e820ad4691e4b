import { describe, expect, it } from 'vitest'
import { compareSortValues, evaluateList, fieldText } from './evaluate.ts'
import { parseListQuery } from './query.ts'

interface Row {
  id: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; fields?: unknown[] }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  [key: string]: unknown
}

function row(namespace: string, name: string, extra: Partial<Row> & { labels?: Record<string, string>; fields?: unknown[] } = {}): Row {
  const { labels, fields, ...rest } = extra
  return { id: `${namespace}/${name}`, metadata: { name, namespace, ...(labels ? { labels } : {}), ...(fields ? { fields } : {}) }, ...rest }
}

const pods: Row[] = [
  row('default', 'web-1', { labels: { app: 'web', tier: 'front' }, fields: ['web-1', '1/1', 'Running', 0], spec: { nodeName: 'node-a' }, status: { podIP: '10.0.0.10' } }),
  row('default', 'web-2', { labels: { app: 'web' }, fields: ['web-2', '0/1', 'Pending', 3], spec: { nodeName: 'node-b' }, status: { podIP: '10.0.0.9' } }),
  row('kube-system', 'DNS-1', { labels: { app: 'dns' }, fields: ['DNS-1', '1/1', 'Running', 12], spec: { nodeName: 'node-a' } }),
  row('team-a', 'api', { fields: ['api', '1/1', 'Running', 2], spec: { nodeName: 'node-b', ports: [80, 443] }, status: { podIP: '10.0.1.2' } }),
]

const ids = (query: string, items: Row[] = pods, context = {}): string[] =>
  evaluateList(items, parseListQuery(new URLSearchParams(query)), context).items.map((item) => item.id)

describe('evaluateList filters', () => {
  it.each([
    ['filter=metadata.name=web-1', ['default/web-1']],
    ['filter=metadata.name=web', []],
    ['filter=metadata.name~WEB', ['default/web-1', 'default/web-2']],
    ['filter=metadata.name~dns', ['kube-system/DNS-1']],
    ['filter=metadata.name!=web-1', ['default/web-2', 'kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.name!~web', ['kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.namespace in (default,team-a)', ['default/web-1', 'default/web-2', 'team-a/api']],
    ['filter=metadata.namespace notin (default)', ['kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.labels[app]=web', ['default/web-1', 'default/web-2']],
    ['filter=metadata.labels[tier]!=front', ['default/web-2', 'kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.labels[tier]', ['default/web-1']],
    ['filter=!metadata.labels[app]', ['team-a/api']],
    ['filter=metadata.labels[app] notin (web)', ['kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.fields[3]>2', ['default/web-2', 'kube-system/DNS-1']],
    ['filter=metadata.fields[3]<1', ['default/web-1']],
    ['filter=metadata.fields[1]<1', []],
    ['filter=metadata.fields[2]=Running', ['default/web-1', 'kube-system/DNS-1', 'team-a/api']],
    ['filter=spec.nodeName=node-b', ['default/web-2', 'team-a/api']],
    ['filter=spec.ports=80|443', ['team-a/api']],
    ['filter=spec.ports~443', ['team-a/api']],
    ['filter=status.podIP~10.0.0', ['default/web-1', 'default/web-2']],
    ['filter=status.podIP!~10.0.0', ['kube-system/DNS-1', 'team-a/api']],
    ['filter=metadata.name=web-1,metadata.namespace=team-a', ['default/web-1', 'team-a/api']],
    ['filter=metadata.namespace=default&filter=spec.nodeName=node-b', ['default/web-2']],
    ['filter=id=default/web-2', ['default/web-2']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected)
  })

  it('keeps objects by namespace or by their namespace project, and the others when negated', () => {
    const projectOf = (namespace: string): string | undefined => ({ 'team-a': 'p-team', default: 'p-default' })[namespace]
    expect(ids('projectsornamespaces=p-team,kube-system', pods, { projectOf })).toEqual(['kube-system/DNS-1', 'team-a/api'])
    expect(ids('projectsornamespaces!=p-team,kube-system', pods, { projectOf })).toEqual(['default/web-1', 'default/web-2'])
  })

  it('tests namespaces by their own name and project label', () => {
    const namespaces: Row[] = [
      { id: 'a', metadata: { name: 'a', labels: { 'field.cattle.io/projectId': 'p-1' } } },
      { id: 'b', metadata: { name: 'b' } },
      { id: 'c', metadata: { name: 'c' } },
    ]
    expect(ids('projectsornamespaces=p-1,c', namespaces, { namespaces: true })).toEqual(['a', 'c'])
    expect(ids('projectsornamespaces!=p-1', namespaces, { namespaces: true })).toEqual(['b', 'c'])
  })
})

describe('evaluateList sort', () => {
  it('orders by id when no sort is asked', () => {
    expect(ids('')).toEqual(['default/web-1', 'default/web-2', 'kube-system/DNS-1', 'team-a/api'])
  })

  it.each([
    ['sort=metadata.name', ['kube-system/DNS-1', 'team-a/api', 'default/web-1', 'default/web-2']],
    ['sort=-metadata.name', ['default/web-2', 'default/web-1', 'team-a/api', 'kube-system/DNS-1']],
    ['sort=metadata.fields[3]', ['default/web-1', 'team-a/api', 'default/web-2', 'kube-system/DNS-1']],
    ['sort=-metadata.fields[3]', ['kube-system/DNS-1', 'default/web-2', 'team-a/api', 'default/web-1']],
    // Absent labels go last ascending and first descending; ties fall back to id.
    ['sort=metadata.labels[app]', ['kube-system/DNS-1', 'default/web-1', 'default/web-2', 'team-a/api']],
    ['sort=-metadata.labels[app]', ['team-a/api', 'default/web-1', 'default/web-2', 'kube-system/DNS-1']],
    ['sort=spec.nodeName,-metadata.name', ['default/web-1', 'kube-system/DNS-1', 'default/web-2', 'team-a/api']],
    // As addresses 10.0.0.9 < 10.0.0.10, as text the other way round; no address sorts last.
    ['sort=ip(status.podIP)', ['default/web-2', 'default/web-1', 'team-a/api', 'kube-system/DNS-1']],
    ['sort=status.podIP', ['default/web-1', 'default/web-2', 'team-a/api', 'kube-system/DNS-1']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected)
  })

  it('puts numbers before text, and compares text by code point', () => {
    expect(compareSortValues(10, 9)).toBeGreaterThan(0)
    expect(compareSortValues(100, 'a')).toBeLessThan(0)
    expect(compareSortValues('B', 'a')).toBeLessThan(0)
    expect(compareSortValues(undefined, 'a')).toBeGreaterThan(0)
    expect(compareSortValues(undefined, undefined)).toBe(0)
    // U+FF5E sorts before U+1F600 by code point (and in UTF-8), though not by UTF-16 unit.
    expect(compareSortValues('\uff5e', '\u{1f600}')).toBeLessThan(0)
  })

  it('reads values as text the way list columns store them', () => {
    expect(fieldText({ a: [1, 'x', true] }, ['a'])).toBe('1|x|true')
    expect(fieldText({ a: { b: 1 } }, ['a'])).toBeUndefined()
    expect(fieldText({ a: null }, ['a'])).toBeUndefined()
  })
})

describe('evaluateList paging', () => {
  const many: Row[] = Array.from({ length: 25 }, (_, i) => row('ns', `pod-${String(i).padStart(2, '0')}`, { fields: [i % 3] }))
  const page = (query: string) => evaluateList(many, parseListQuery(new URLSearchParams(query)))

  it('answers pages of pagesize with count and pages', () => {
    const first = page('pagesize=10')
    expect(first.items.map((item) => item.metadata.name)).toEqual(many.slice(0, 10).map((item) => item.metadata.name))
    expect(first).toMatchObject({ count: 25, pages: 3, continue: '10' })
    const last = page('pagesize=10&page=3')
    expect(last.items.map((item) => item.metadata.name)).toEqual(['pod-20', 'pod-21', 'pod-22', 'pod-23', 'pod-24'])
    expect(last).toMatchObject({ count: 25, pages: 3, continue: undefined })
  })

  it('answers an empty page past the end', () => {
    expect(page('pagesize=10&page=9')).toMatchObject({ items: [], count: 25, pages: 3, continue: undefined })
  })

  it('counts after filtering', () => {
    expect(page('pagesize=4&filter=metadata.fields[0]=0')).toMatchObject({ count: 9, pages: 3 })
  })

  it('follows limit and continue, and takes the smaller of limit and pagesize', () => {
    const first = page('limit=7')
    expect(first.items).toHaveLength(7)
    expect(first.continue).toBe('7')
    expect(first.pages).toBeUndefined()
    const next = page(`limit=7&continue=${first.continue}`)
    expect(next.items[0]?.metadata.name).toBe('pod-07')
    expect(next.continue).toBe('14')
    const end = page('limit=7&continue=21')
    expect(end.items.map((item) => item.metadata.name)).toEqual(['pod-21', 'pod-22', 'pod-23', 'pod-24'])
    expect(end.continue).toBeUndefined()
    expect(page('limit=3&pagesize=5').items).toHaveLength(3)
    // With both, the page counts from the continue offset.
    expect(page('pagesize=5&page=2&continue=10').items[0]?.metadata.name).toBe('pod-15')
  })

  it('answers everything without a page size or limit', () => {
    expect(page('')).toMatchObject({ count: 25, pages: undefined, continue: undefined })
    expect(page('').items).toHaveLength(25)
  })

  it('summarizes every matching row, not only the page', () => {
    expect(page('pagesize=2&summary=metadata.fields[0],metadata.namespace').summary).toEqual([
      { property: 'metadata.fields[0]', counts: { '0': 9, '1': 8, '2': 8 } },
      { property: 'metadata.namespace', counts: { ns: 25 } },
    ])
    expect(page('').summary).toBeUndefined()
  })
})
