// Checks a rendered CRD against the structural-schema rules that kube-apiserver enforces (apiextensions v1),
// so a bad definition fails a unit test instead of `kubectl apply`. Works on plain JSON, so it can check the
// YAML read back from disk as well as objects in memory. Deliberately stricter than the server: any keyword
// our definitions do not use is reported, because the server's rules for those are subtle.
type Json = Record<string, unknown>

const types = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean'])
const keywords = new Set([
  'type', 'title', 'description', 'format', 'enum', 'properties', 'additionalProperties', 'items', 'required',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
])
const columnTypes = new Set(['string', 'integer', 'number', 'boolean', 'date'])

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export function schemaProblems(node: unknown, at = 'openAPIV3Schema'): string[] {
  if (!isObject(node)) return [`${at}: not a schema object`]
  const problems = Object.keys(node).filter((key) => !keywords.has(key)).map((key) => `${at}: unsupported ${key}`)
  const { type, properties, additionalProperties, items, required } = node
  const preserve = node['x-kubernetes-preserve-unknown-fields']
  const intOrString = node['x-kubernetes-int-or-string']
  if (preserve !== undefined && preserve !== true) problems.push(`${at}: preserve-unknown-fields must be true`)
  if (intOrString !== undefined && intOrString !== true) problems.push(`${at}: int-or-string must be true`)
  if (intOrString === true && type !== undefined) problems.push(`${at}: int-or-string must not have a type`)
  if (type === undefined && preserve !== true && intOrString !== true) problems.push(`${at}: no type`)
  if (type !== undefined && !types.has(String(type))) problems.push(`${at}: unknown type ${String(type)}`)
  if (preserve === true && type !== undefined && type !== 'object') {
    problems.push(`${at}: preserves fields of a ${String(type)}`)
  }
  if (properties !== undefined && additionalProperties !== undefined) {
    problems.push(`${at}: properties and additionalProperties together`)
  }
  if ((properties !== undefined || additionalProperties !== undefined) && type !== 'object') {
    problems.push(`${at}: fields on a non-object`)
  }
  if (type === 'array' && items === undefined) problems.push(`${at}: array without items`)
  if (items !== undefined && type !== 'array') problems.push(`${at}: items on a non-array`)
  if (node.enum !== undefined && (!Array.isArray(node.enum) || node.enum.some((value) => typeof value !== type))) {
    problems.push(`${at}: enum values must be of the node's type`)
  }
  if (required !== undefined) {
    const names = isObject(properties) ? properties : {}
    if (!Array.isArray(required) || required.some((name) => !(String(name) in names))) {
      problems.push(`${at}: required names a field that is not a property`)
    }
  }
  if (properties !== undefined) {
    if (!isObject(properties)) problems.push(`${at}: properties is not an object`)
    else for (const [name, child] of Object.entries(properties)) {
      problems.push(...schemaProblems(child, `${at}.${name}`))
    }
  }
  // A boolean here (false especially) is not structural; maps must name their value schema.
  if (additionalProperties !== undefined) problems.push(...schemaProblems(additionalProperties, `${at}.*`))
  if (items !== undefined) problems.push(...schemaProblems(items, `${at}[]`))
  return problems
}

// The server allows only name and generateName to be constrained in an object's own metadata.
function rootProblems(root: unknown, at: string): string[] {
  if (!isObject(root)) return []
  const problems = root.type === 'object' ? [] : [`${at}: root must be an object`]
  const metadata = isObject(root.properties) ? root.properties.metadata : undefined
  if (metadata === undefined) return problems
  if (!isObject(metadata) || metadata.type !== 'object') return [...problems, `${at}.metadata: must be an object`]
  const extra = Object.keys(metadata).filter((key) => !['type', 'description', 'properties'].includes(key))
  const fields = Object.keys(isObject(metadata.properties) ? metadata.properties : {})
  extra.push(...fields.filter((name) => name !== 'name' && name !== 'generateName'))
  return [...problems, ...extra.map((key) => `${at}.metadata: ${key} may not be described`)]
}

export function crdProblems(crd: unknown): string[] {
  const spec = isObject(crd) && isObject(crd.spec) ? crd.spec : {}
  if (!Array.isArray(spec.versions)) return ['spec.versions missing']
  return spec.versions.flatMap((version: unknown, index) => {
    const at = `spec.versions[${index}]`
    if (!isObject(version) || !isObject(version.schema)) return [`${at}: no schema`]
    const root = version.schema.openAPIV3Schema
    const problems = [...rootProblems(root, `${at}.schema.openAPIV3Schema`), ...schemaProblems(root)]
    const hasStatus = isObject(root) && isObject(root.properties) && 'status' in root.properties
    const statusSubresource = isObject(version.subresources) && version.subresources.status !== undefined
    if (hasStatus !== statusSubresource) problems.push(`${at}: status subresource must exist exactly when status does`)
    const columns = Array.isArray(version.additionalPrinterColumns) ? version.additionalPrinterColumns : []
    for (const column of columns) {
      if (!isObject(column) || !columnTypes.has(String(column.type)) || typeof column.jsonPath !== 'string') {
        problems.push(`${at}: bad printer column ${JSON.stringify(column)}`)
      }
    }
    return problems
  })
}
