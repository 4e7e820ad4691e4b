// Rancher's Norman JSON: every resource carries id, type, links and actions; every collection is
// `{type:"collection", data, links, actions, pagination, filters, sort}`. Built here only.
import type { ObjectMeta } from '../../protocol/crds/index.ts'

export type Norman = Record<string, unknown> & { id: string; type: string }

export interface Links {
  /** `<origin>/v3` */
  base: string
  collection: string
}

/** Fields every resource has, taken from the object's metadata. */
export function metaFields(meta: ObjectMeta): Record<string, unknown> {
  const created = meta.creationTimestamp ?? ''
  const annotations = meta.annotations ?? {}
  const state = meta.deletionTimestamp ? 'removing' : 'active'
  return {
    created,
    createdTS: created ? Date.parse(created) : 0,
    creatorId: annotations['field.cattle.io/creatorId'] ?? null,
    labels: meta.labels ?? {},
    annotations,
    uuid: meta.uid ?? '',
    state,
    transitioning: meta.deletionTimestamp ? 'yes' : 'no',
    transitioningMessage: '',
  }
}

export function resource(type: string, id: string, fields: Record<string, unknown>, links: Links, actions: string[] = []): Norman {
  const self = `${links.base}/${links.collection}/${encodeURIComponent(id)}`
  return {
    ...fields,
    id,
    type,
    baseType: type,
    links: { self, update: self, remove: self },
    actions: Object.fromEntries(actions.map((a) => [a, `${self}?action=${a}`])),
  }
}

export interface Page {
  limit: number
  marker?: string
  total: number
  next?: string
}

export function collection(type: string, data: Norman[], links: Links, page: Page, filters: Record<string, string[]>, actions: string[] = []): Record<string, unknown> {
  const self = `${links.base}/${links.collection}`
  return {
    type: 'collection',
    resourceType: type,
    links: { self },
    createTypes: { [type]: self },
    actions: Object.fromEntries(actions.map((a) => [a, `${self}?action=${a}`])),
    pagination: {
      limit: page.limit,
      total: page.total,
      ...(page.marker ? { marker: page.marker } : {}),
      ...(page.next ? { next: page.next, partial: true } : {}),
    },
    sort: { order: 'asc', reverse: `${self}?order=desc` },
    filters,
    data,
  }
}
