import { describe, expect, it } from 'vitest'
import { parseFieldPath } from '../../protocol/api/steve/index.ts'
import { definedPath, knownWithoutDefinition } from './fields.ts'

const path = (text: string) => parseFieldPath(text) as string[]

/** A Pod's definitions as definitions.ts shapes them, cut down to what the cases walk. */
const pod = {
  root: 'io.k8s.api.core.v1.Pod',
  definitions: {
    'io.k8s.api.core.v1.Pod': {
      type: 'io.k8s.api.core.v1.Pod',
      description: '',
      resourceFields: {
        metadata: { type: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        spec: { type: 'io.k8s.api.core.v1.PodSpec' },
        status: { type: 'io.k8s.api.core.v1.PodStatus' },
        type: { type: 'string' },
      },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
      type: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      description: '',
      resourceFields: { name: { type: 'string' }, labels: { type: 'map', subtype: 'string' }, ownerReferences: { type: 'array', subtype: 'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference' } },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': { type: 'x', description: '', resourceFields: { kind: { type: 'string' } } },
    'io.k8s.api.core.v1.PodSpec': {
      type: 'io.k8s.api.core.v1.PodSpec',
      description: '',
      resourceFields: { nodeName: { type: 'string' }, containers: { type: 'array', subtype: 'io.k8s.api.core.v1.Container' }, nodeSelector: { type: 'map', subtype: 'string' } },
    },
    'io.k8s.api.core.v1.Container': { type: 'io.k8s.api.core.v1.Container', description: '', resourceFields: { image: { type: 'string' }, name: { type: 'string' } } },
    'io.k8s.api.core.v1.PodStatus': { type: 'io.k8s.api.core.v1.PodStatus', description: '', resourceFields: { podIP: { type: 'string' }, phase: { type: 'string' } } },
  },
}

describe('fields a /v1 list may use', () => {
  it.each(['metadata.name', 'metadata.namespace', 'id', 'metadata.labels[app]', 'metadata.annotations[a.b/c]', 'metadata.fields[2]', 'metadata.state.name'])('%s needs no definition', (p) => {
    expect(knownWithoutDefinition(path(p))).toBe(true)
  })
  it.each(['spec.nodeName', 'metadata.nmae', 'metadata.fields[x]', 'metadata.state.colour'])('%s is checked against the definition', (p) => {
    expect(knownWithoutDefinition(path(p))).toBe(false)
  })
  it.each([
    ['spec.nodeName', true],
    ['status.podIP', true],
    ['spec.containers.image', true],
    ['spec.containers.0.image', true],
    ['spec.nodeSelector[kubernetes.io/os]', true],
    ['metadata.ownerReferences.kind', true],
    ['_type', true],
    ['spec.nodeNmae', false],
    ['metdata.name', false],
    ['spec.containers.imag', false],
    ['spec.nodeName.more', false],
    ['status.phase.x', false],
  ])('%s → %s', (p, known) => {
    expect(definedPath(pod, path(p))).toBe(known)
  })
})
