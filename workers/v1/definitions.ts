// `/v1/schemaDefinitions/<id>`: a type's fields as Steve's schemaDefinition describes them, from the
// cluster's OpenAPI v3 document of the type's group-version (fetched when asked, not kept). Each object
// type becomes a definition of `resourceFields` (`type`, `subtype` for arrays and maps, `description`,
// `required`); a field's type is `string`, `int`, `boolean`, `array`, `map` or another definition's name
// (a nested object without a name of its own is named `<parent>.<field>`). Kept modest: what the
// dashboard's forms read, no defaults or validation.
import { SteveError } from '../../protocol/api/steve/index.ts'
import type { SteveType } from './discovery.ts'
import { isRecord, stringsOf } from './kube-json.ts'
import type { ClusterScope } from './scope.ts'

/** Definitions one answer holds at most (a type's closure is a few hundred). */
export const MAX_DEFINITIONS = 2_000

export interface DefinitionField {
  type: string
  subtype?: string
  description?: string
  required?: boolean
}

export interface Definition {
  resourceFields: Record<string, DefinitionField>
  type: string
  description: string
}

export interface SchemaDefinition {
  id: string
  type: 'schemaDefinition'
  links: { self: string }
  definitionType: string
  definitions: Record<string, Definition>
}

type Obj = Record<string, unknown>

export async function schemaDefinition(scope: ClusterScope, type: SteveType): Promise<SchemaDefinition> {
  const gv = type.group ? `apis/${type.group}/${type.version}` : `api/${type.version}`
  const index = await scope.user.request<unknown>('GET', '/openapi/v3')
  const entry = isRecord(index) && isRecord(index.paths) ? index.paths[gv] : undefined
  const url = isRecord(entry) && typeof entry.serverRelativeURL === 'string' && entry.serverRelativeURL.startsWith('/') ? entry.serverRelativeURL : `/openapi/v3/${gv}`
  const doc = await scope.user.request<unknown>('GET', url)
  const schemas = isRecord(doc) && isRecord(doc.components) && isRecord(doc.components.schemas) ? doc.components.schemas : {}
  const name = Object.keys(schemas).find((key) => namesKind(schemas[key], type))
  if (!name) throw SteveError.of('NotFound', `no OpenAPI definition of ${type.id} in ${gv}`)
  return {
    id: type.id,
    type: 'schemaDefinition',
    links: { self: `${scope.v1Url}/schemaDefinitions/${type.id}` },
    definitionType: name,
    definitions: definitionsFrom(schemas, name),
  }
}

function namesKind(schema: unknown, type: SteveType): boolean {
  const gvks = isRecord(schema) ? schema['x-kubernetes-group-version-kind'] : undefined
  return Array.isArray(gvks) && gvks.some((g) => isRecord(g) && (g.group ?? '') === type.group && g.version === type.version && g.kind === type.kind)
}

/** The definition named `root` and every object type reachable from it. */
export function definitionsFrom(schemas: Obj, root: string): Record<string, Definition> {
  const definitions: Record<string, Definition> = {}
  const refName = (ref: unknown) => (typeof ref === 'string' && ref.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined)

  const fieldOf = (schema: unknown, nameIfObject: string): DefinitionField => {
    if (!isRecord(schema)) return { type: 'string' }
    const description = typeof schema.description === 'string' ? schema.description : undefined
    const withDescription = (f: DefinitionField): DefinitionField => (description ? { ...f, description } : f)
    const ref = refName(schema.$ref) ?? (Array.isArray(schema.allOf) && schema.allOf.length === 1 && isRecord(schema.allOf[0]) ? refName(schema.allOf[0].$ref) : undefined)
    if (ref !== undefined) {
      const target = schemas[ref]
      const field = fieldOf(target, ref)
      return description ? { ...field, description } : field
    }
    if (schema['x-kubernetes-int-or-string'] === true) return withDescription({ type: 'string' })
    switch (schema.type) {
      case 'integer':
      case 'number':
        return withDescription({ type: 'int' })
      case 'string':
      case 'boolean':
        return withDescription({ type: schema.type })
      case 'array':
        return withDescription({ type: 'array', subtype: fieldOf(schema.items, `${nameIfObject}.items`).type })
      case 'object':
        if (isRecord(schema.properties)) {
          define(nameIfObject, schema)
          return withDescription({ type: nameIfObject })
        }
        if (isRecord(schema.additionalProperties)) return withDescription({ type: 'map', subtype: fieldOf(schema.additionalProperties, `${nameIfObject}.value`).type })
        return withDescription({ type: 'map', subtype: 'string' })
      default:
        // No type at all (free-form): Steve calls it a string.
        return withDescription({ type: 'string' })
    }
  }

  const define = (name: string, schema: Obj): void => {
    if (Object.hasOwn(definitions, name) || Object.keys(definitions).length >= MAX_DEFINITIONS) return
    const definition: Definition = { resourceFields: {}, type: name, description: typeof schema.description === 'string' ? schema.description : '' }
    // Marked before its fields are visited: types refer to themselves (JSONSchemaProps).
    definitions[name] = definition
    const required = new Set(stringsOf(schema.required))
    for (const [field, fieldSchema] of Object.entries(schema.properties as Obj)) {
      const f = fieldOf(fieldSchema, `${name}.${field}`)
      definition.resourceFields[field] = required.has(field) ? { ...f, required: true } : f
    }
  }

  const rootSchema = schemas[root]
  if (isRecord(rootSchema)) define(root, rootSchema)
  return definitions
}
