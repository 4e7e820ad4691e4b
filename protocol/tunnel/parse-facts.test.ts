import { describe, expect, it } from 'vitest'
import { MAX_API_SERVER_MESSAGE, parseFacts } from './parse.ts'

describe('parseFacts', () => {
  it('keeps the known facts, the apiserver readiness among them, and drops the rest', () => {
    const facts = parseFacts({ kubernetesVersion: 'v1.37.2', nodeCount: 1, apiServer: { ready: false, message: '/readyz: etcd failed', extra: 1 }, other: true })
    expect(facts).toEqual({ kubernetesVersion: 'v1.37.2', nodeCount: 1, apiServer: { ready: false, message: '/readyz: etcd failed' } })
  })

  it('accepts facts without the apiserver readiness (an older agent) and readiness without a message', () => {
    expect(parseFacts({ nodeCount: 0 })).toEqual({ nodeCount: 0 })
    expect(parseFacts({ apiServer: { ready: true } })).toEqual({ apiServer: { ready: true } })
  })

  it('refuses a malformed readiness, naming the field', () => {
    expect(() => parseFacts({ apiServer: true })).toThrow('facts.apiServer: expected an object')
    expect(() => parseFacts({ apiServer: {} })).toThrow('facts.apiServer.ready: expected a boolean')
    expect(() => parseFacts({ apiServer: { ready: 'false' } })).toThrow('facts.apiServer.ready: expected a boolean')
    expect(() => parseFacts({ apiServer: { ready: false, message: 7 } })).toThrow('facts.apiServer.message: expected a string')
    expect(() => parseFacts({ apiServer: { ready: false, message: 'x'.repeat(MAX_API_SERVER_MESSAGE + 1) } })).toThrow(`at most ${MAX_API_SERVER_MESSAGE} characters`)
  })
})
