export { crdManifestFiles } from './outputs.ts'
export { definitions } from './definitions.ts'
export type { CrdDefinition } from './schema.ts'
