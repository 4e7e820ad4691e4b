// Steve's `/v1` contract, pure: ids, the list query and its reference evaluation, object state,
// formatting, errors. The SQL cache (objects/cache/) and the routes (workers/v1/) both build on it.
export * from './error.ts'
export * from './evaluate.ts'
export * from './field-path.ts'
export * from './format.ts'
export * from './query.ts'
export * from './state.ts'
export * from './subscribe.ts'
export * from './types.ts'
