import { describe, expect, it } from 'vitest'
import { formatCollection, formatResource, type FormatOptions } from './format.ts'

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'kubernetes.io/tls',
  metadata: { name: 'tls', namespace: 'web', managedFields: [{ manager: 'kubectl' }], annotations: { a: '1' } },
  data: { 'tls.crt': 'Y3J0' },
}

const secretType = { id: 'secret', pluralId: 'secrets', apiPath: '/api/v1', resource: 'secrets' }
const options = (extra: Partial<FormatOptions> = {}): FormatOptions => ({
  type: secretType,
  v1Url: 'https://edge.test/k8s/clusters/c-1/v1',
  kubeUrl: 'https://edge.test/k8s/clusters/c-1',
  verbs: ['get', 'list'],
  now: 0,
  ...extra,
})

describe('formatResource', () => {
  it('adds id, type and links in front and renames reserved keys with an underscore', () => {
    const resource = formatResource(secret, options())
    expect(Object.keys(resource).slice(0, 3)).toEqual(['id', 'type', 'links'])
    expect(resource).toMatchObject({ id: 'web/tls', type: 'secret', _type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0' } })
    expect(resource.type).toBe('secret')
    const reserved = formatResource({ metadata: { name: 'n' }, id: 'i', links: 'l', actions: 'a', type: 't' }, options())
    expect(reserved).toMatchObject({ id: 'n', type: 'secret', _id: 'i', _links: 'l', _actions: 'a', _type: 't' })
  })

  it.each([
    [['get'], {}],
    [['get', 'update'], { update: 'self' }],
    [['get', 'patch'], { patch: 'self' }],
    [['get', 'delete'], { remove: 'self' }],
    [['get', 'update', 'patch', 'delete'], { update: 'self', patch: 'self', remove: 'self' }],
  ])('links for verbs %j', (verbs, extra) => {
    const self = 'https://edge.test/k8s/clusters/c-1/v1/secrets/web/tls'
    const expected = Object.fromEntries(Object.entries(extra).map(([key]) => [key, self]))
    expect(formatResource(secret, options({ verbs })).links).toEqual({
      self,
      view: 'https://edge.test/k8s/clusters/c-1/api/v1/namespaces/web/secrets/tls',
      ...expected,
    })
  })

  it('links a cluster-scoped object of a named group', () => {
    const type = { id: 'management.cattle.io.cluster', pluralId: 'management.cattle.io.clusters', apiPath: '/apis/management.cattle.io/v3', resource: 'clusters' }
    const resource = formatResource({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: 'c-1' } }, { ...options(), type, v1Url: 'https://edge.test/v1', kubeUrl: 'https://edge.test' })
    expect(resource.id).toBe('c-1')
    expect(resource.links).toEqual({ self: 'https://edge.test/v1/management.cattle.io.clusters/c-1', view: 'https://edge.test/apis/management.cattle.io/v3/clusters/c-1' })
  })

  it('puts the table cells in metadata.fields and the state in metadata.state', () => {
    const resource = formatResource(secret, options({ cells: ['tls', 'kubernetes.io/tls', 1, '5d'] }))
    expect(resource.metadata?.fields).toEqual(['tls', 'kubernetes.io/tls', 1, '5d'])
    expect(resource.metadata?.state).toEqual({ name: 'active', error: false, transitioning: false, message: 'Resource is current' })
    expect(formatResource(secret, options()).metadata).not.toHaveProperty('fields')
  })

  it('applies exclude without touching the input', () => {
    const before = structuredClone(secret)
    const resource = formatResource(secret, options({ exclude: [['metadata', 'managedFields'], ['data'], ['no', 'such']] }))
    expect(resource.metadata).not.toHaveProperty('managedFields')
    expect(resource.metadata).toHaveProperty('annotations')
    expect(resource).not.toHaveProperty('data')
    expect(secret).toEqual(before)
  })

  it('applies include, keeping id, type and links', () => {
    const resource = formatResource(secret, options({ include: [['metadata', 'name'], ['metadata', 'state', 'name'], ['kind']] }))
    expect(resource).toEqual({
      id: 'web/tls',
      type: 'secret',
      links: expect.objectContaining({ self: expect.any(String) }),
      kind: 'Secret',
      metadata: { name: 'tls', state: { name: 'active' } },
    })
  })
})

describe('formatCollection', () => {
  const item = formatResource(secret, options())

  it('writes the envelope with only the fields that have values', () => {
    expect(formatCollection([item], { resourceType: 'secret', selfUrl: 'https://edge.test/v1/secrets' })).toEqual({
      type: 'collection',
      links: { self: 'https://edge.test/v1/secrets' },
      actions: {},
      resourceType: 'secret',
      data: [item],
    })
  })

  it('adds createTypes, revision, count, pages, continue with pagination, and the summary', () => {
    const collection = formatCollection([item], {
      resourceType: 'secret',
      selfUrl: 'https://edge.test/v1/secrets?limit=1&sort=metadata.name',
      createUrl: 'https://edge.test/v1/secrets',
      revision: '4711',
      continue: '1',
      limit: 1,
      count: 2,
      pages: 2,
      summary: [{ property: 'metadata.state.name', counts: { active: 2 } }],
    })
    expect(collection).toMatchObject({
      createTypes: { secret: 'https://edge.test/v1/secrets' },
      revision: '4711',
      continue: '1',
      count: 2,
      pages: 2,
      pagination: { limit: 1, next: 'https://edge.test/v1/secrets?limit=1&sort=metadata.name&continue=1', partial: true },
      summary: [{ property: 'metadata.state.name', counts: { active: 2 } }],
    })
  })
})
