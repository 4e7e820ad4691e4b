import { describe, expect, it } from 'vitest'
import { isNotFound, KubeClient, KubeError } from '../../protocol/kube/index.ts'
import { tunnelTransport } from './envelope.ts'

const identity = { user: 'u', groups: [], extra: {} }

describe('the transport through a tunnel object', () => {
  it('turns an object that throws (reset with the request in it) into a 503 to retry, not an internal error', async () => {
    const gone = { fetch: async (): Promise<Response> => Promise.reject(new Error('Durable Object reset because its code was updated')) }
    const kube = new KubeClient(tunnelTransport(gone, 'local', identity))
    const err = await kube.get({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, 'default').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).status).toBe(503)
    expect((err as KubeError).message).toMatch(/tunnel object was reset/)
    expect(isNotFound(err)).toBe(false)
  })
})
