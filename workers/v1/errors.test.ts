import { describe, expect, it } from 'vitest'
import { badQuery } from '../../protocol/api/steve/index.ts'
import { KubeError } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import { steveError } from './errors.ts'

const kube = (status: number, text: string) => KubeError.fromResponse('GET', '/api/v1/pods', status, text)

describe('errors as Steve bodies', () => {
  it("keeps the apiserver's status and uses its Status reason as the code", () => {
    const status = { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods is forbidden: User "u-1" cannot list resource "pods"' }
    expect(steveError(kube(403, JSON.stringify(status)))?.body()).toEqual({ type: 'error', status: 403, code: 'Forbidden', message: status.message })
    expect(steveError(kube(409, JSON.stringify({ reason: 'AlreadyExists', message: 'exists' })))?.body()).toMatchObject({ status: 409, code: 'AlreadyExists' })
  })

  it('names a tunnel refusal by its own code, and a body without one by its status', () => {
    expect(steveError(kube(503, JSON.stringify({ type: 'error', status: 503, code: 'ClusterUnavailable', message: 'not connected' })))?.body()).toEqual({
      type: 'error',
      status: 503,
      code: 'ClusterUnavailable',
      message: 'not connected',
    })
    expect(steveError(kube(404, 'not json'))?.body()).toEqual({ type: 'error', status: 404, code: 'NotFound', message: 'the cluster answered HTTP 404' })
  })

  it("turns the agent's own 401 into a gateway failure, not the caller's", () => {
    expect(steveError(kube(401, '{"reason":"Unauthorized"}'))?.status).toBe(502)
  })

  it('passes contract and edge errors through, and leaves others to the edge', () => {
    expect(steveError(badQuery('sort', 'bad'))?.body()).toEqual({ type: 'error', status: 400, code: 'BadRequest', message: 'bad', fieldName: 'sort' })
    expect(steveError(new ApiError(413, 'too big'))?.body()).toMatchObject({ status: 413, code: 'RequestEntityTooLarge' })
    expect(steveError(new Error('internal'))).toBeUndefined()
  })
})
