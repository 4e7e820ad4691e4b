/**
 * How the worker talks to a ClusterTunnel object. These headers exist only on the worker → object hop:
 * the worker removes any a client sent before adding its own, and objects are reachable only through it.
 */
export const INTERNAL = {
  action: 'x-drover-action',
  cluster: 'x-drover-cluster',
  identity: 'x-drover-identity',
} as const

export type InternalAction = 'connect' | 'proxy'

export function isInternalHeader(name: string): boolean {
  return name.toLowerCase().startsWith('x-drover-')
}
