import { describe, expect, it } from 'vitest'
import { readyCondition } from './cluster.ts'

const version = { gitVersion: 'v1.37.2' }
const apiServer = (status: string, message?: string) => [{ name: 'kube-apiserver', conditions: [{ type: 'Healthy', status, ...(message ? { message } : {}) }] }]

describe("a Cluster's Ready condition", () => {
  it('is Disconnected without an agent, whatever the last readiness said', () => {
    expect(readyCondition({ connected: false, version, componentStatuses: apiServer('False', 'x') })).toMatchObject({ status: 'False', reason: 'Disconnected' })
  })

  it("is APIUnavailable, naming what /readyz said, when the agent is connected but its apiserver is not ready", () => {
    expect(readyCondition({ connected: true, version, componentStatuses: apiServer('False', '/readyz: etcd failed') })).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'APIUnavailable',
      message: "the agent is connected but the cluster's kube-apiserver is not ready: /readyz: etcd failed",
    })
  })

  it('is Ready with a healthy apiserver, or with no readiness reported (an older agent)', () => {
    expect(readyCondition({ connected: true, version, componentStatuses: apiServer('True') })).toMatchObject({ status: 'True', reason: 'Ready' })
    expect(readyCondition({ connected: true, version })).toMatchObject({ status: 'True', reason: 'Ready' })
  })

  it('waits for facts before them', () => {
    expect(readyCondition({ connected: true })).toMatchObject({ status: 'False', reason: 'WaitingForFacts' })
  })
})
