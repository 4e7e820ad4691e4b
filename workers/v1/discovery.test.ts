import { describe, expect, it } from 'vitest'
import { SteveError } from '../../protocol/api/steve/index.ts'
import { discoveryTypes, indexTypes } from './discovery.ts'

const resource = (name: string, kind: string, scope: 'Namespaced' | 'Cluster', verbs = ['get', 'list']) => ({ resource: name, responseKind: { group: '', version: '', kind }, scope, verbs })

const core = { kind: 'APIGroupDiscoveryList', items: [{ metadata: {}, versions: [{ version: 'v1', resources: [resource('pods', 'Pod', 'Namespaced'), resource('pods/status', 'Pod', 'Namespaced'), resource('namespaces', 'Namespace', 'Cluster')] }] }] }
const groups = {
  kind: 'APIGroupDiscoveryList',
  items: [
    { metadata: { name: 'apps' }, versions: [{ version: 'v1', resources: [resource('deployments', 'Deployment', 'Namespaced', ['create', 'list'])] }, { version: 'v1beta1', resources: [resource('olds', 'Old', 'Namespaced')] }] },
    { metadata: { name: 'example.io' }, versions: [{ version: 'v2', resources: [{ resource: 'nokinds', scope: 'Cluster', verbs: [] }, resource('widgets', 'Widget', 'Cluster')] }] },
  ],
}

describe('types from aggregated discovery', () => {
  it('takes top-level resources at each group\'s preferred version, with Steve ids', () => {
    const types = [...discoveryTypes(core), ...discoveryTypes(groups)]
    expect(types.map((t) => [t.id, t.pluralId, t.version, t.namespaced])).toEqual([
      ['pod', 'pods', 'v1', true],
      ['namespace', 'namespaces', 'v1', false],
      ['apps.deployment', 'apps.deployments', 'v1', true],
      ['example.io.widget', 'example.io.widgets', 'v2', false],
    ])
    expect(types[2]).toMatchObject({ group: 'apps', plural: 'deployments', kind: 'Deployment', verbs: ['create', 'list'] })
  })

  it('finds a type by its singular or plural id', () => {
    const { byId } = indexTypes(discoveryTypes(groups))
    expect(byId.get('apps.deployments')?.id).toBe('apps.deployment')
    expect(byId.get('apps.deployment')?.plural).toBe('deployments')
    expect(byId.get('apps.old')).toBeUndefined()
  })

  it('refuses an answer that is not aggregated discovery', () => {
    expect(() => discoveryTypes({ kind: 'APIGroupList', groups: [] })).toThrow(SteveError)
  })
})
