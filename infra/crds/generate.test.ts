import { readFile, readdir } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { definitions } from './definitions.ts'
import { crdManifestFiles, crdsDir, isManifest, renderOutputs } from './outputs.ts'
import { renderCrd, renderTypes } from './render.ts'
import { crdProblems, schemaProblems } from './structural.ts'

describe('generated files', () => {
  it('match a fresh render byte for byte (run `npm run gen:crds` after changing definitions.ts)', async () => {
    for (const { path, text } of await renderOutputs()) {
      expect(await readFile(path, 'utf8'), path).toBe(text)
    }
  })

  it('include no manifest of a kind that is no longer defined', async () => {
    const onDisk = (await readdir(crdsDir)).filter(isManifest).map((file) => `${crdsDir}${file}`)
    expect(onDisk.sort()).toEqual(crdManifestFiles().sort())
  })

  it('are structural as read back from disk', async () => {
    for (const file of crdManifestFiles()) {
      expect(isAbsolute(file)).toBe(true)
      expect(crdProblems(parse(await readFile(file, 'utf8'))), file).toEqual([])
    }
  })

  it('render the same text twice', async () => {
    expect(await renderTypes(definitions)).toBe(await renderTypes(definitions))
  })
})

describe('definitions', () => {
  it.each(definitions)('$kind renders a structural CRD', (definition) => {
    expect(crdProblems(renderCrd(definition))).toEqual([])
  })

  it('name each kind and plural once, with plurals as Rancher forms them', () => {
    expect(new Set(definitions.map(({ kind }) => kind)).size).toBe(definitions.length)
    for (const { kind, plural } of definitions) expect(plural).toBe(`${kind.toLowerCase()}s`)
  })

  it('namespace exactly the kinds Rancher namespaces', () => {
    const namespaced = definitions.filter(({ scope }) => scope === 'Namespaced').map(({ kind }) => kind)
    expect(namespaced.sort()).toEqual(
      ['ClusterRegistrationToken', 'ClusterRoleTemplateBinding', 'Project', 'ProjectRoleTemplateBinding'])
  })
})

describe('structural checks', () => {
  const crd = (root: object, subresources?: object) =>
    ({ spec: { versions: [{ schema: { openAPIV3Schema: root }, ...(subresources ? { subresources } : {}) }] } })
  const ok = { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } }

  it('accept a structural schema', () => {
    expect(crdProblems(crd(ok))).toEqual([])
    expect(schemaProblems({ 'x-kubernetes-int-or-string': true })).toEqual([])
    expect(schemaProblems({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toEqual([])
  })

  it.each([
    ['a node without a type', { type: 'object', properties: { a: {} } }, 'no type'],
    ['additionalProperties: false', { type: 'object', additionalProperties: false }, 'not a schema object'],
    ['properties beside additionalProperties',
      { type: 'object', properties: {}, additionalProperties: { type: 'string' } }, 'together'],
    ['$ref', { type: 'object', properties: { a: { $ref: '#/x' } } }, 'unsupported $ref'],
    ['an array without items', { type: 'array' }, 'without items'],
    ['required naming no property', { type: 'object', properties: {}, required: ['a'] }, 'required'],
    ['an enum of another type', { type: 'string', enum: [1] }, 'enum'],
  ])('catch %s', (_, schema, message) => {
    expect(schemaProblems(schema).join('\n')).toContain(message)
  })

  it('catch metadata described beyond name and generateName', () => {
    const root = { type: 'object', properties: { metadata: { type: 'object', properties: { labels: {} } } } }
    expect(crdProblems(crd(root)).join('\n')).toContain('labels may not be described')
  })

  it('catch a status without the status subresource, and the reverse', () => {
    const withStatus = { type: 'object', properties: { status: { type: 'object' } } }
    expect(crdProblems(crd(withStatus))).toHaveLength(1)
    expect(crdProblems(crd(ok, { status: {} }))).toHaveLength(1)
    expect(crdProblems(crd(withStatus, { status: {} }))).toEqual([])
  })
})
