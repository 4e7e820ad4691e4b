// Global setup of the workerd test project: the management relay (management-relay.ts) that the fast
// /v3 and login tests reach as the MANAGEMENT service binding, and the bootstrap admin's password.
import { randomBytes } from 'node:crypto'
import type { TestProject } from 'vitest/node'
import { startManagementRelay } from './management-relay.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    managementRelayPort: number
    managementAdminPassword: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminPassword = randomBytes(18).toString('base64url')
  const relay = await startManagementRelay({ adminPassword })
  project.provide('managementRelayPort', relay.port)
  project.provide('managementAdminPassword', adminPassword)
  return () => relay.close()
}
