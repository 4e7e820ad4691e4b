import { describe, expect, it } from 'vitest'
import { merged, semanticEqual } from './apply.ts'
import { setCondition } from './conditions.ts'
import type { KubeObject } from '../../protocol/kube/index.ts'

describe('compare before writing', () => {
  it('treats missing, empty lists and empty objects alike', () => {
    expect(semanticEqual({ a: [], b: {} }, {})).toBe(true)
    expect(semanticEqual({ rules: [{ verbs: ['get'], apiGroups: [] }] }, { rules: [{ verbs: ['get'] }] })).toBe(true)
    expect(semanticEqual({ a: [1] }, { a: [2] })).toBe(false)
  })

  it('updates owned fields and adds labels, keeping what others set', () => {
    const live: KubeObject = { metadata: { name: 'x', resourceVersion: '7', labels: { mine: 'no', theirs: 'yes' } }, rules: [{ verbs: ['get'] }], extra: 1 } as KubeObject
    const want = { metadata: { name: 'x', labels: { mine: 'yes' } }, rules: [{ verbs: ['get'] }] } as KubeObject
    expect(merged(live, { ...want, metadata: { name: 'x', labels: { theirs: 'yes' } } })).toBeUndefined()
    expect(merged(live, want)).toMatchObject({ metadata: { resourceVersion: '7', labels: { mine: 'yes', theirs: 'yes' } }, extra: 1 })
  })
})

describe('conditions', () => {
  it('moves lastTransitionTime only when the status changes', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Disconnected' }, 't1')
    expect(setCondition(a, { type: 'Ready', status: 'False', reason: 'Disconnected' }, 't2')).toBe(a)
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'WaitingForFacts' }, 't2')
    expect(b[0]).toMatchObject({ lastTransitionTime: 't1', lastUpdateTime: 't2' })
    expect(setCondition(b, { type: 'Ready', status: 'True' }, 't3')[0]).toMatchObject({ status: 'True', lastTransitionTime: 't3' })
  })
})
