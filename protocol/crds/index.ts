export { API_VERSION, GROUP, VERSION } from './group.ts'
export { KINDS, type Kind } from './kinds.ts'
export type * from './meta.ts'
export type * from './types.ts'
