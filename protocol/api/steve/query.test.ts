import { describe, expect, it } from 'vitest'
import { SteveError } from './error.ts'
import { assertKnownFields, MAX_FILTER_TERMS, MAX_PAGE_SIZE, parseListQuery, type ListQuery } from './query.ts'

const parse = (query: string): ListQuery => parseListQuery(new URLSearchParams(query))

describe('parseListQuery', () => {
  it('answers an empty query with the defaults', () => {
    expect(parse('')).toEqual({
      filters: [],
      sort: [],
      page: 1,
      pageSize: undefined,
      limit: undefined,
      continueOffset: undefined,
      revision: undefined,
      projectsOrNamespaces: undefined,
      summary: undefined,
      exclude: [],
      include: [],
    })
  })

  it.each([
    ['filter=metadata.name=foo', [[{ field: ['metadata', 'name'], op: '=', value: 'foo' }]]],
    ['filter=metadata.name==foo', [[{ field: ['metadata', 'name'], op: '=', value: 'foo' }]]],
    ['filter=metadata.name!=foo', [[{ field: ['metadata', 'name'], op: '!=', value: 'foo' }]]],
    ['filter=metadata.name~fo', [[{ field: ['metadata', 'name'], op: '~', value: 'fo' }]]],
    ['filter=metadata.name!~fo', [[{ field: ['metadata', 'name'], op: '!~', value: 'fo' }]]],
    ['filter=metadata.fields[3]<5', [[{ field: ['metadata', 'fields', '3'], op: '<', value: 5 }]]],
    ['filter=metadata.fields[3] > -2', [[{ field: ['metadata', 'fields', '3'], op: '>', value: -2 }]]],
    ['filter=metadata.fields[3] lt 7', [[{ field: ['metadata', 'fields', '3'], op: '<', value: 7 }]]],
    ['filter=metadata.fields[3] gt 7', [[{ field: ['metadata', 'fields', '3'], op: '>', value: 7 }]]],
    ['filter=spec.nodeName in (b, a,a)', [[{ field: ['spec', 'nodeName'], op: 'in', values: ['a', 'b'] }]]],
    ['filter=spec.nodeName IN (a)', [[{ field: ['spec', 'nodeName'], op: 'in', values: ['a'] }]]],
    ['filter=spec.nodeName notin ("x y",z)', [[{ field: ['spec', 'nodeName'], op: 'notin', values: ['x y', 'z'] }]]],
    ['filter=spec.nodeName in ()', [[{ field: ['spec', 'nodeName'], op: 'in', values: [''] }]]],
    ['filter=metadata.labels[app]', [[{ field: ['metadata', 'labels', 'app'], op: 'exists' }]]],
    ['filter=!metadata.labels[app]', [[{ field: ['metadata', 'labels', 'app'], op: 'notexists' }]]],
    ['filter=metadata.labels.app', [[{ field: ['metadata', 'labels', 'app'], op: 'exists' }]]],
    [
      'filter=metadata.labels[app.kubernetes.io/name]=web',
      [[{ field: ['metadata', 'labels', 'app.kubernetes.io/name'], op: '=', value: 'web' }]],
    ],
    ["filter=metadata.name='a,b c'", [[{ field: ['metadata', 'name'], op: '=', value: 'a,b c' }]]],
    ['filter=metadata.name="say \\"hi\\""', [[{ field: ['metadata', 'name'], op: '=', value: 'say "hi"' }]]],
    ["filter=metadata.name=''", [[{ field: ['metadata', 'name'], op: '=', value: '' }]]],
    [
      'filter=metadata.name=a,metadata.namespace~b',
      [[{ field: ['metadata', 'name'], op: '=', value: 'a' }, { field: ['metadata', 'namespace'], op: '~', value: 'b' }]],
    ],
    [
      'filter=metadata.name=a&filter=metadata.namespace=b',
      [[{ field: ['metadata', 'name'], op: '=', value: 'a' }], [{ field: ['metadata', 'namespace'], op: '=', value: 'b' }]],
    ],
    ['filter=&filter=%20', []],
  ])('filter %s', (query, filters) => {
    expect(parse(query).filters).toEqual(filters)
  })

  it.each([
    ['sort=metadata.name', [{ field: ['metadata', 'name'], descending: false, asIp: false }]],
    [
      'sort=-metadata.namespace,metadata.fields[2]',
      [
        { field: ['metadata', 'namespace'], descending: true, asIp: false },
        { field: ['metadata', 'fields', '2'], descending: false, asIp: false },
      ],
    ],
    ['sort=-metadata.labels[kubernetes.io/arch]', [{ field: ['metadata', 'labels', 'kubernetes.io/arch'], descending: true, asIp: false }]],
    ['sort=ip(status.podIP)', [{ field: ['status', 'podIP'], descending: false, asIp: true }]],
    ['sort=ip(-status.podIP)', [{ field: ['status', 'podIP'], descending: true, asIp: true }]],
    ['sort=-ip(status.podIP)', [{ field: ['status', 'podIP'], descending: true, asIp: true }]],
  ])('sort %s', (query, sort) => {
    expect(parse(query).sort).toEqual(sort)
  })

  it('parses paging, revision, projects, summary and field lists', () => {
    const query = parse(
      'page=3&pagesize=50&limit=200&continue=100&revision=4711&projectsornamespaces=p-1,%20ns-a&summary=metadata.state.name,metadata.namespace&exclude=metadata.managedFields&exclude=metadata.annotations,status&include=metadata.name',
    )
    expect(query).toMatchObject({
      page: 3,
      pageSize: 50,
      limit: 200,
      continueOffset: 100,
      revision: '4711',
      projectsOrNamespaces: { names: ['p-1', 'ns-a'], exclude: false },
      summary: [
        ['metadata', 'state', 'name'],
        ['metadata', 'namespace'],
      ],
      exclude: [['metadata', 'managedFields'], ['metadata', 'annotations'], ['status']],
      include: [['metadata', 'name']],
    })
  })

  it("takes Steve's negated projectsornamespaces (the parameter named 'projectsornamespaces!')", () => {
    expect(parse('projectsornamespaces!=p-1,ns-b').projectsOrNamespaces).toEqual({ names: ['p-1', 'ns-b'], exclude: true })
    expect(parse('projectsornamespaces=,').projectsOrNamespaces).toBeUndefined()
  })

  it("treats Steve's limit=-1 and limit=0 as no limit", () => {
    expect(parse('limit=-1').limit).toBeUndefined()
    expect(parse('limit=0').limit).toBeUndefined()
  })

  const badCases: [string, string, RegExp][] = [
    ['filter=metadata.name=', 'filter', /expected a value/],
    ['filter=metadata.name', 'filter', /existence tests are valid only for labels/],
    ['filter=!metadata.name', 'filter', /existence tests are valid only for labels/],
    ['filter=!metadata.labels[a]=b', 'filter', /'!' is only for label existence/],
    ['filter=metadata.name foo bar', 'filter', /unknown operator 'foo'/],
    ['filter=metadata.name contains x', 'filter', /unknown operator 'contains'/],
    ['filter=metadata.name=>x', 'filter', /expected a value after '='/],
    ['filter=metadata.name(x', 'filter', /unknown operator '\('/],
    ['filter=metadata.name=a b', 'filter', /expected ',' or the end/],
    ['filter=metadata.name=a,', 'filter', /expected a field name/],
    ['filter=,metadata.name=a', 'filter', /expected a field name/],
    ['filter==a', 'filter', /expected a field name/],
    ["filter=metadata.name='abc", 'filter', /unterminated quoted value/],
    ['filter=metadata.name in a', 'filter', /expected '\('/],
    ['filter=metadata.name in (a', 'filter', /missing '\)'/],
    ['filter=metadata.name in (a b)', 'filter', /expected a value, ',' or '\)'/],
    ['filter=metadata.fields[1]<x', 'filter', /whole number/],
    ['filter=metadata.fields[1]>1.5', 'filter', /whole number/],
    ['filter=metadata..name=a', 'filter', /invalid key/],
    ['filter=metadata.labels[=a', 'filter', /must end with '\]'/],
    ['filter=metadata.labels[]=a', 'filter', /empty or nested bracketed key/],
    ['filter=metadata.fields[name]=a', 'filter', /table cell is named by its index/],
    ['sort=-', 'sort', /empty sort key/],
    ['sort=metadata.name,', 'sort', /empty sort key/],
    ['sort=--metadata.name', 'sort', /invalid key/],
    ['sort=-ip(-a)', 'sort', /'-' twice/],
    ['sort=ip(status.podIP', 'sort', /'ip\(' without '\)'/],
    ['sort=metadata.name&sort=metadata.namespace', 'sort', /may be given once/],
    ['sort=a,b,c,d,e,f,g,h,i', 'sort', /at most 8 sort keys/],
    ['page=x', 'page', /whole number/],
    ['page=0', 'page', /at least 1/],
    ['page=-1', 'page', /whole number/],
    ['page=1.5', 'page', /whole number/],
    ['pagesize=abc', 'pagesize', /whole number/],
    ['pagesize=0', 'pagesize', /at least 1/],
    [`pagesize=${MAX_PAGE_SIZE + 1}`, 'pagesize', /at most 10000/],
    ['pagesize=10&pagesize=20', 'pagesize', /may be given once/],
    ['limit=ten', 'limit', /whole number/],
    ['limit=100001', 'limit', /at most 100000/],
    ['continue=abc', 'continue', /invalid continue token/],
    ['continue=-5', 'continue', /invalid continue token/],
    ['continue=007', 'continue', /invalid continue token/],
    ['revision=abc', 'revision', /revision query param is not valid/],
    ['projectsornamespaces=a&projectsornamespaces!=b', 'projectsornamespaces', /not both/],
    ['summary=', 'summary', /no fields to summarize/],
    ['summary=metadata.name,', 'summary', /empty field/],
    ['summary=a&summary=b', 'summary', /may be given once/],
    ['exclude=metadata..x', 'exclude', /invalid key/],
    ['include=[x]', 'include', /invalid key/],
  ]
  it.each(badCases)('answers %s with a 400 on %s', (query, param, message) => {
    let error: unknown
    try {
      parse(query)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(SteveError)
    const steveError = error as SteveError
    expect(steveError.body()).toMatchObject({ type: 'error', status: 400, code: 'BadRequest', fieldName: param })
    expect(steveError.message).toMatch(message)
  })

  it('bounds the number of filter terms', () => {
    const terms = Array.from({ length: MAX_FILTER_TERMS + 1 }, (_, i) => `metadata.name=n${i}`).join(',')
    expect(() => parse(`filter=${terms}`)).toThrow(/too many filter terms/)
    expect(parse(`filter=${terms.split(',').slice(1).join(',')}`).filters[0]).toHaveLength(MAX_FILTER_TERMS)
  })
})

describe('assertKnownFields', () => {
  const known = (field: readonly string[]): boolean => ['metadata.name', 'metadata.namespace'].includes(field.join('.'))

  it('passes a query on known fields', () => {
    expect(() => assertKnownFields(parse('filter=metadata.name=a&sort=metadata.namespace&summary=metadata.name'), known)).not.toThrow()
  })

  it.each([
    ['filter=spec.secret=a', 'filter'],
    ['sort=spec.secret', 'sort'],
    ['summary=spec.secret', 'summary'],
  ])('answers %s with a 400 naming %s', (query, param) => {
    expect(() => assertKnownFields(parse(query), known)).toThrow(expect.objectContaining({ status: 400, fieldName: param }))
  })
})
