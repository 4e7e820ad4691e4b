import { describe, expect, it } from 'vitest'
import { fieldPathText, labelKeyOf, parseFieldPath, tableCellOf, valueAt } from './field-path.ts'
import { objectId, parseObjectId, parseTypeId, pluralTypeId, typeId, typeIdMatches, typeIdOf } from './types.ts'

describe('type ids', () => {
  it.each([
    ['', 'Pod', 'pod'],
    ['', 'PersistentVolumeClaim', 'persistentvolumeclaim'],
    ['apps', 'Deployment', 'apps.deployment'],
    ['management.cattle.io', 'Cluster', 'management.cattle.io.cluster'],
  ])('%s %s is %s', (group, kind, id) => {
    expect(typeId(group, kind)).toBe(id)
    expect(parseTypeId(id)).toEqual({ group, name: kind.toLowerCase() })
  })

  it('names types by plural resource too', () => {
    expect(pluralTypeId('apps', 'deployments')).toBe('apps.deployments')
    const deployment = { group: 'apps', kind: 'Deployment', resource: 'deployments' }
    expect(typeIdMatches('apps.deployment', deployment)).toBe(true)
    expect(typeIdMatches('apps.deployments', deployment)).toBe(true)
    expect(typeIdMatches('deployment', deployment)).toBe(false)
    expect(typeIdMatches('pods', { group: '', kind: 'Pod', resource: 'pods' })).toBe(true)
  })

  it('reads the type of an object from apiVersion and kind', () => {
    expect(typeIdOf({ apiVersion: 'v1', kind: 'Namespace' })).toBe('namespace')
    expect(typeIdOf({ apiVersion: 'management.cattle.io/v3', kind: 'Cluster' })).toBe('management.cattle.io.cluster')
  })
})

describe('object ids', () => {
  it('joins and splits ns/name and name', () => {
    expect(objectId('default', 'web')).toBe('default/web')
    expect(objectId(undefined, 'node-1')).toBe('node-1')
    expect(objectId('', 'node-1')).toBe('node-1')
    expect(parseObjectId('default/web')).toEqual({ namespace: 'default', name: 'web' })
    expect(parseObjectId('node-1')).toEqual({ namespace: undefined, name: 'node-1' })
  })
})

describe('field paths', () => {
  it.each([
    ['metadata.name', ['metadata', 'name'], 'metadata.name'],
    ['spec.nodeName', ['spec', 'nodeName'], 'spec.nodeName'],
    ['metadata.labels[app]', ['metadata', 'labels', 'app'], 'metadata.labels[app]'],
    ['metadata.labels.app', ['metadata', 'labels', 'app'], 'metadata.labels[app]'],
    ['metadata.labels[kubernetes.io/arch]', ['metadata', 'labels', 'kubernetes.io/arch'], 'metadata.labels[kubernetes.io/arch]'],
    ['metadata.fields[2]', ['metadata', 'fields', '2'], 'metadata.fields[2]'],
    ['spec.template[a.b]', ['spec', 'template', 'a.b'], 'spec.template[a.b]'],
  ])('%s', (text, segments, canonical) => {
    expect(parseFieldPath(text)).toEqual(segments)
    expect(fieldPathText(segments)).toBe(canonical)
  })

  it.each(['', 'a..b', '.a', 'a.', 'a[b', 'a[]', 'a[b]c', 'a[b[c]]', '-a'])('rejects %j', (text) => {
    expect(typeof parseFieldPath(text)).toBe('string')
  })

  it('tells labels and table cells', () => {
    expect(labelKeyOf(['metadata', 'labels', 'app'])).toBe('app')
    expect(labelKeyOf(['metadata', 'annotations', 'app'])).toBeUndefined()
    expect(tableCellOf(['metadata', 'fields', '2'])).toBe(2)
    expect(tableCellOf(['metadata', 'fields', '02'])).toBeUndefined()
    expect(tableCellOf(['metadata', 'fields', 'x'])).toBeUndefined()
  })

  it('walks objects and arrays', () => {
    const object = { metadata: { fields: ['a', 3] }, spec: { containers: [{ image: 'nginx' }] } }
    expect(valueAt(object, ['metadata', 'fields', '1'])).toBe(3)
    expect(valueAt(object, ['spec', 'containers', '0', 'image'])).toBe('nginx')
    expect(valueAt(object, ['spec', 'containers', 'image'])).toBeUndefined()
    expect(valueAt(object, ['metadata', 'fields', '1', 'x'])).toBeUndefined()
  })
})
