import { describe, expect, it } from 'vitest'
import { fieldPathText, labelKeyOf, parseFieldPath, tableCellOf, valueAt } from './field-path.ts'
import { objectId, pluralTypeId, typeId } from './types.ts'

describe('type ids', () => {
  it.each([
    ['', 'Pod', 'pod'],
    ['', 'PersistentVolumeClaim', 'persistentvolumeclaim'],
    ['apps', 'Deployment', 'apps.deployment'],
    ['management.cattle.io', 'Cluster', 'management.cattle.io.cluster'],
  ])('%s %s is %s', (group, kind, id) => {
    expect(typeId(group, kind)).toBe(id)
  })

  it('names types by plural resource too', () => {
    expect(pluralTypeId('apps', 'deployments')).toBe('apps.deployments')
    expect(pluralTypeId('', 'pods')).toBe('pods')
  })
})

describe('object ids', () => {
  it('joins ns/name and name', () => {
    expect(objectId('default', 'web')).toBe('default/web')
    expect(objectId(undefined, 'node-1')).toBe('node-1')
    expect(objectId('', 'node-1')).toBe('node-1')
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
