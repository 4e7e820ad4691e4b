// A small YAML writer for manifests built from plain data. Every string is written JSON-quoted (a JSON
// string is a valid YAML double-quoted scalar), so no interpolated value — a URL, a token, a proxy list —
// can change the document's structure. Runs in workerd: no dependencies.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined }

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/

function scalar(value: string | number | boolean | null): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`)
  return JSON.stringify(value)
}

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k)
}

function isCollection(v: YamlValue): v is YamlValue[] | { [key: string]: YamlValue | undefined } {
  return typeof v === 'object' && v !== null
}

function isEmpty(v: YamlValue[] | { [key: string]: YamlValue | undefined }): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.values(v).every((x) => x === undefined)
}

/** Lines of a block collection, indented by `indent` spaces. */
function lines(value: YamlValue[] | { [key: string]: YamlValue | undefined }, indent: number): string[] {
  const pad = ' '.repeat(indent)
  const out: string[] = []
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isCollection(item) || isEmpty(item)) {
        out.push(`${pad}- ${inline(item)}`)
        continue
      }
      const inner = lines(item, indent + 2)
      out.push(`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1))
    }
    return out
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue
    if (!isCollection(v) || isEmpty(v)) out.push(`${pad}${key(k)}: ${inline(v)}`)
    else out.push(`${pad}${key(k)}:`, ...lines(v, indent + 2))
  }
  return out
}

function inline(v: YamlValue): string {
  if (isCollection(v)) return Array.isArray(v) ? '[]' : '{}'
  return scalar(v)
}

/** One YAML document for a mapping. */
export function yamlDocument(value: { [key: string]: YamlValue | undefined }): string {
  return `${lines(value, 0).join('\n')}\n`
}

/** A multi-document stream, each document opened with `---`. */
export function yamlStream(documents: { [key: string]: YamlValue | undefined }[]): string {
  return documents.map((d) => `---\n${yamlDocument(d)}`).join('')
}
