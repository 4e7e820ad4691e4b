export * from './credentials.ts'
export * from './http-transport.ts'
export * from './kubeconfig.ts'
