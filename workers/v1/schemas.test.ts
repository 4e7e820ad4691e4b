import { describe, expect, it } from 'vitest'
import type { SteveType } from './discovery.ts'
import type { ResourceRule, Rules } from './rules.ts'
import { isVisible, methodsFor } from './schemas.ts'

const type = (plural: string, namespaced = true): SteveType => ({ group: '', version: 'v1', plural, kind: plural, namespaced, id: plural, pluralId: plural, verbs: [] })
const rules = (...verbs: string[]): Rules => ({ cluster: [{ verbs, apiGroups: [''], resources: ['*'], resourceNames: [] } satisfies ResourceRule], namespaces: new Map() })

describe("a schema's methods from the caller's verbs (Steve's table)", () => {
  it.each([
    [['list'], ['GET'], ['GET']],
    [['get'], ['GET'], ['GET']],
    [['create'], [], ['POST']],
    [['update'], ['PUT', 'PATCH'], []],
    [['delete'], ['DELETE'], []],
    [['*'], ['GET', 'DELETE', 'PUT', 'PATCH'], ['GET', 'POST']],
  ])('%j → resource %j, collection %j', (verbs, resourceMethods, collectionMethods) => {
    expect(methodsFor(rules(...verbs), type('configmaps'))).toEqual({ resourceMethods, collectionMethods })
  })

  it('hides a type with no verbs, but never namespaces', () => {
    expect(isVisible(methodsFor(rules('watch'), type('configmaps')))).toBe(false)
    expect(methodsFor(rules(), type('namespaces', false))).toEqual({ resourceMethods: ['GET'], collectionMethods: ['GET'] })
  })
})
