import { describe, expect, it } from 'vitest'
import type { Token, User } from '../../protocol/crds/index.ts'
import type { Cache } from '../runtime/types.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import { UserReconciler } from './user.ts'

const user = (name: string, enabled?: boolean, extra: Partial<User['metadata']> = {}): User => ({
  apiVersion: 'management.cattle.io/v3',
  kind: 'User',
  metadata: { name, uid: `uid-${name}`, ...extra },
  ...(enabled === undefined ? {} : { enabled }),
})
const token = (name: string, userId: string) => ({ metadata: { name, uid: `uid-${name}` }, userId }) as Token

function cacheOf<T extends { metadata: { name?: string } }>(items: T[]): Cache<T> & { items: T[] } {
  return {
    items,
    get(name) {
      return this.items.find((o) => o.metadata.name === name)
    },
    list() {
      return this.items
    },
    synced: () => true,
  }
}

/** Caches and an "apiserver" that may disagree, as informer caches and the apiserver can. */
function setup(cached: User[], live: User[], tokens: Token[], tellEdge?: (id: string) => Promise<void>) {
  const revoked: string[] = []
  const deleted: { name: string; uid?: string }[] = []
  const apiserver = new Map(live.map((u) => [u.metadata.name!, u]))
  const client = {
    find: async (_type: unknown, name: string) => apiserver.get(name),
    delete: async (_type: unknown, name: string, opts?: { preconditions?: { uid?: string } }) => {
      const uid = opts?.preconditions?.uid
      deleted.push({ name, ...(uid ? { uid } : {}) })
      return true
    },
  } as unknown as KubeClient
  const users = cacheOf(cached)
  const r = new UserReconciler({ users, tokens: cacheOf(tokens), client, revokeUserTokens: tellEdge ?? (async (id) => void revoked.push(id)) })
  return { r, revoked, deleted, apiserver, users }
}

describe('UserReconciler', () => {
  it('leaves an enabled user alone', async () => {
    const { r, revoked, deleted } = setup([user('u-a')], [user('u-a')], [token('token-a1', 'u-a')])
    await r.reconcile({ name: 'u-a' })
    expect([revoked, deleted]).toEqual([[], []])
  })

  it('does not take a user the cache has not seen yet for a deleted one', async () => {
    const { r, revoked, deleted } = setup([], [user('u-new', true)], [token('token-n1', 'u-new')])
    await r.reconcile({ name: 'u-new' })
    expect([revoked, deleted]).toEqual([[], []])
  })

  it('revokes a user that is gone (or being deleted) once, and deletes only its Token CRs', async () => {
    const tokens = [token('token-g1', 'u-gone'), token('token-g2', 'u-gone'), token('token-o1', 'u-other')]
    const { r, revoked, deleted } = setup([], [], tokens)
    await r.reconcile({ name: 'u-gone' })
    await r.reconcile({ name: 'u-gone' })
    expect(revoked).toEqual(['u-gone'])
    expect(deleted.slice(0, 2)).toEqual([{ name: 'token-g1', uid: 'uid-token-g1' }, { name: 'token-g2', uid: 'uid-token-g2' }])
    expect(deleted.map((d) => d.name)).not.toContain('token-o1')

    const terminating = user('u-term', true, { deletionTimestamp: '2030-01-01T00:00:00Z' })
    const t = setup([terminating], [terminating], [])
    await t.r.reconcile({ name: 'u-term' })
    expect(t.revoked).toEqual(['u-term'])
  })

  it('revokes a disabled user once per disabling: enabling it again and disabling again revokes again', async () => {
    const { r, revoked, apiserver, users } = setup([user('u-d', false)], [user('u-d', false)], [token('token-d1', 'u-d')])
    await r.reconcile({ name: 'u-d' })
    await r.reconcile({ name: 'u-d' })
    expect(revoked).toEqual(['u-d'])
    users.items = [user('u-d', true)]
    apiserver.set('u-d', user('u-d', true))
    await r.reconcile({ name: 'u-d' })
    users.items = [user('u-d', false)]
    apiserver.set('u-d', user('u-d', false))
    await r.reconcile({ name: 'u-d' })
    expect(revoked).toEqual(['u-d', 'u-d'])
  })

  it('retries when the edge cannot be told (the reconcile throws)', async () => {
    let up = false
    const { r, deleted } = setup([], [], [token('token-x1', 'u-x')], async () => {
      if (!up) throw new Error('edge down')
    })
    await expect(r.reconcile({ name: 'u-x' })).rejects.toThrow('edge down')
    expect(deleted).toEqual([]) // the CRs stay until the edge has been told
    up = true
    await r.reconcile({ name: 'u-x' })
    expect(deleted.map((d) => d.name)).toEqual(['token-x1'])
  })
})
