import { statusError } from '../server/status.ts'

/**
 * The one field selector the extension server's lists understand: `metadata.name=<name>` (also `==`),
 * what `kubectl delete --wait` and `kubectl get <name> --watch` send. Undefined without a selector.
 */
export function nameFromFieldSelector(selector: string | undefined): string | undefined {
  if (!selector) return undefined
  const m = /^metadata\.name==?([a-z0-9.-]{1,253})$/.exec(selector)
  if (!m) throw statusError(400, `field selector "${selector}" is not supported (only metadata.name=<name>)`)
  return m[1]
}
