// Lists from the cluster's list index (objects/cache ClusterIndex, DESIGN.md flow 6): one RPC with the
// parsed query and the namespaces access reviews allow the caller (access.ts), answered from SQLite.
// The index answers only what it has listed; for a type it has not (it starts feeding it on this first
// ask) the caller is answered through the tunnel instead (list.ts). Types the index keeps without their
// secret values (Secrets, tokens) are always answered through the tunnel, so no redacted object ever
// reaches a client as a basis for a write.
import { SteveError, type ListQuery } from '../../protocol/api/steve/index.ts'
import { isRedacted } from '../../objects/cache/redact.ts'
import type { CachedList } from '../../objects/cache/list-cache.ts'
import type { NamespaceAccess } from './access.ts'
import type { SteveType } from './discovery.ts'
import type { ClusterScope } from './scope.ts'

/** The index's page, or undefined when the caller is to be answered through the tunnel. */
export async function cachedPage(scope: ClusterScope, type: SteveType, query: ListQuery, namespaces: NamespaceAccess, waitMs = 0): Promise<CachedList | undefined> {
  if (!scope.index || isRedacted(type)) return undefined
  const spec = { group: type.group, version: type.version, plural: type.plural, kind: type.kind, namespaced: type.namespaced }
  const answer = await scope.index.list(scope.cluster, spec, query, namespaces === 'all' ? 'all' : [...namespaces], waitMs)
  switch (answer.kind) {
    case 'list':
      return answer
    case 'error':
      throw new SteveError(answer.error.status, answer.error.code, answer.error.message, answer.error.fieldName)
    default:
      return undefined
  }
}
