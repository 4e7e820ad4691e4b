// Status conditions, Kubernetes style: lastTransitionTime moves only when status changes, and a condition
// equal to the current one is not rewritten (so an unchanged cluster causes no write).
import type { Condition } from '../../protocol/crds/index.ts'

export type ConditionInput = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>

/** `conditions` with `next` applied; the same array (by identity) when nothing changed. */
export function setCondition(conditions: Condition[] | undefined, next: ConditionInput, now: string): Condition[] {
  const list = conditions ?? []
  const i = list.findIndex((c) => c.type === next.type)
  const cur = list[i]
  if (cur && cur.status === next.status && (cur.reason ?? '') === (next.reason ?? '') && (cur.message ?? '') === (next.message ?? '')) return list
  const updated: Condition = {
    type: next.type,
    status: next.status,
    lastTransitionTime: cur && cur.status === next.status ? (cur.lastTransitionTime ?? now) : now,
    lastUpdateTime: now,
    ...(next.reason ? { reason: next.reason } : {}),
    ...(next.message ? { message: next.message } : {}),
  }
  return i < 0 ? [...list, updated] : list.map((c, j) => (j === i ? updated : c))
}

export function setConditions(conditions: Condition[] | undefined, next: ConditionInput[], now: string): Condition[] {
  return next.reduce<Condition[]>((acc, c) => setCondition(acc, c, now), conditions ?? [])
}

export const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
