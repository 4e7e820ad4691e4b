import { describe, expect, it } from 'vitest'
import { definitionsFrom } from './definitions.ts'

const schemas = {
  'io.example.v1.Widget': {
    description: 'A widget.',
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.ObjectMeta' }], description: 'Standard metadata.' },
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer' },
          ports: { type: 'array', items: { $ref: '#/components/schemas/io.example.v1.Port' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          target: { 'x-kubernetes-int-or-string': true },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  },
  'io.k8s.ObjectMeta': { type: 'object', properties: { name: { type: 'string' }, owner: { $ref: '#/components/schemas/io.k8s.ObjectMeta' } } },
  'io.example.v1.Port': { type: 'object', properties: { port: { type: 'number' }, open: { type: 'boolean' } } },
}

describe("a type's schemaDefinition from OpenAPI v3", () => {
  it('describes every object type reachable from the root, nested ones named by their path', () => {
    const defs = definitionsFrom(schemas, 'io.example.v1.Widget')
    expect(Object.keys(defs).sort()).toEqual(['io.example.v1.Port', 'io.example.v1.Widget', 'io.example.v1.Widget.spec', 'io.k8s.ObjectMeta'])
    expect(defs['io.example.v1.Widget']).toEqual({
      type: 'io.example.v1.Widget',
      description: 'A widget.',
      resourceFields: {
        apiVersion: { type: 'string' },
        metadata: { type: 'io.k8s.ObjectMeta', description: 'Standard metadata.' },
        spec: { type: 'io.example.v1.Widget.spec', required: true },
      },
    })
    expect(defs['io.example.v1.Widget.spec']!.resourceFields).toEqual({
      replicas: { type: 'int' },
      ports: { type: 'array', subtype: 'io.example.v1.Port' },
      labels: { type: 'map', subtype: 'string' },
      target: { type: 'string' },
      free: { type: 'map', subtype: 'string' },
    })
    // Self-reference ends at the type's name.
    expect(defs['io.k8s.ObjectMeta']!.resourceFields.owner).toEqual({ type: 'io.k8s.ObjectMeta' })
    expect(defs['io.example.v1.Port']!.resourceFields.port).toEqual({ type: 'int' })
  })
})
