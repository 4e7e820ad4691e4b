// Where `npm run gen:crds` writes, and what it writes there.
import { fileURLToPath } from 'node:url'
import { GROUP } from '../../protocol/crds/group.ts'
import { definitions } from './definitions.ts'
import { crdName, renderCrdYaml, renderKindTable, renderTypes } from './render.ts'
import type { CrdDefinition } from './schema.ts'

export interface Output {
  path: string
  text: string
}

export const crdsDir = fileURLToPath(new URL('.', import.meta.url))
export const protocolDir = fileURLToPath(new URL('../../protocol/crds/', import.meta.url))
export const isManifest = (file: string) => file.endsWith(`.${GROUP}.yaml`)

const manifestPath = (definition: CrdDefinition) => `${crdsDir}${crdName(definition)}.yaml`

export const crdManifestFiles = (): string[] => definitions.map(manifestPath)

export async function renderOutputs(): Promise<Output[]> {
  return [
    ...definitions.map((definition) => ({ path: manifestPath(definition), text: renderCrdYaml(definition) })),
    { path: `${protocolDir}types.ts`, text: await renderTypes(definitions) },
    { path: `${protocolDir}kinds.ts`, text: renderKindTable(definitions) },
  ]
}
