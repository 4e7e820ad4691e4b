// The subset of apiextensions.k8s.io/v1 JSONSchemaProps that our CRDs use, with wire names (client-node's
// V1JSONSchemaProps renames the x-kubernetes-* and enum keys, which would need a serializer pass).
// `additionalProperties` takes a schema only: `false` is not structural, so it cannot be written here.
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean'
  // A title names a shared piece: the TypeScript renderer emits it once as an exported type.
  title?: string
  description?: string
  format?: string
  enum?: string[]
  properties?: Record<string, Schema>
  additionalProperties?: Schema
  items?: Schema
  required?: string[]
  'x-kubernetes-preserve-unknown-fields'?: true
  'x-kubernetes-int-or-string'?: true
}

export interface PrinterColumn {
  name: string
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  jsonPath: string
  description?: string
  // 0 shows in `kubectl get`; higher only with `-o wide`.
  priority?: number
}

export interface CrdDefinition {
  kind: string
  plural: string
  scope: 'Cluster' | 'Namespaced'
  description: string
  // Fields beside apiVersion, kind and metadata. A `status` field turns on the status subresource.
  fields: Record<string, Schema>
  // Keep fields the schema does not name (provider-specific extras) instead of pruning them.
  preserveUnknownFields?: boolean
  printerColumns: PrinterColumn[]
}

const described = (schema: Schema, description?: string): Schema =>
  description === undefined ? schema : { description, ...schema }

export const str = (description?: string): Schema => described({ type: 'string' }, description)

export const bool = (description?: string): Schema => described({ type: 'boolean' }, description)

export const int64 = (description?: string): Schema => described({ type: 'integer', format: 'int64' }, description)

export const timestamp = (description?: string): Schema =>
  described({ type: 'string', format: 'date-time' }, description)

export const enumOf = (values: string[], description?: string): Schema =>
  described({ type: 'string', enum: values }, description)

export const obj = (properties: Record<string, Schema>, description?: string): Schema =>
  described({ type: 'object', properties }, description)

export const list = (items: Schema, description?: string): Schema => described({ type: 'array', items }, description)

export const strings = (description?: string): Schema => list(str(), description)

export const stringMap = (description?: string): Schema =>
  described({ type: 'object', additionalProperties: str() }, description)

export const boolMap = (description?: string): Schema =>
  described({ type: 'object', additionalProperties: bool() }, description)

export const named = (title: string, schema: Schema): Schema => ({ title, ...schema })

export const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }
