import { describe, expect, it } from 'vitest'
import { grantedVerbs, hasVerb, namespacesWithGrants, verbsAnywhere, type ResourceRule, type Rules } from './rules.ts'

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []): ResourceRule => ({ verbs, apiGroups, resources, resourceNames })
const base = [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews'])]

describe('verbs from rules reviews', () => {
  it('matches groups, resources and verbs, wildcards included', () => {
    expect([...grantedVerbs([rule(['get', 'list'], [''], ['pods']), rule(['*'], ['apps'], ['*'])], { group: 'apps', plural: 'deployments' })]).toEqual(['*'])
    expect(hasVerb(grantedVerbs([rule(['*'], ['apps'], ['*'])], { group: 'apps', plural: 'deployments' }), 'delete')).toBe(true)
    expect(grantedVerbs([rule(['get'], [''], ['pods'])], { group: 'apps', plural: 'pods' }).size).toBe(0)
  })

  it('counts a namespace grant for namespaced types only', () => {
    const rules: Rules = { cluster: base, namespaces: new Map([['a', [...base, rule(['list'], [''], ['configmaps', 'nodes'])]]]) }
    expect([...verbsAnywhere(rules, { group: '', plural: 'configmaps', namespaced: true })]).toEqual(['list'])
    expect(verbsAnywhere(rules, { group: '', plural: 'nodes', namespaced: false }).size).toBe(0)
  })

  it('names the namespaces where a caller holds grants beyond the cluster-wide ones', () => {
    const rules: Rules = { cluster: base, namespaces: new Map([['a', [...base, rule(['get'], [''], ['pods'])]], ['b', base]]) }
    expect(namespacesWithGrants(rules)).toEqual(['a'])
  })
})
