import { describe, expect, it } from 'vitest'
import { addBinding, namespacesFor, type BindingIndex } from './bindings.ts'

function index(...bindings: [string, unknown[]][]): BindingIndex {
  const out: BindingIndex = new Map()
  for (const [namespace, subjects] of bindings) addBinding(out, { metadata: { namespace, name: 'rb' }, subjects })
  return out
}

describe('candidate namespaces from RoleBindings', () => {
  const idx = index(
    ['a', [{ kind: 'User', name: 'alice' }]],
    ['b', [{ kind: 'Group', name: 'devs' }, { kind: 'User', name: 'bob' }]],
    ['c', [{ kind: 'ServiceAccount', name: 'robot' }]],
    ['d', [{ kind: 'ServiceAccount', name: 'robot', namespace: 'c' }]],
    ['e', [{ kind: 'Weird', name: 'alice' }, 'not a subject']],
  )

  it('names the namespaces of bindings to the user, any of their groups, or their service account', () => {
    expect(namespacesFor(idx, { user: 'alice', groups: ['devs'], extra: {} })).toEqual(['a', 'b'])
    expect(namespacesFor(idx, { user: 'carol', groups: [], extra: {} })).toEqual([])
    // A subject without a namespace is the binding's own namespace's account.
    expect(namespacesFor(idx, { user: 'system:serviceaccount:c:robot', groups: ['system:serviceaccounts'], extra: {} })).toEqual(['c', 'd'])
  })
})
