import { describe, expect, it } from 'vitest'
import { objectState, type SteveState } from './state.ts'

const NOW = Date.parse('2025-06-01T12:00:00Z')

type Obj = Record<string, unknown>
const cond = (type: string, status: string, extra: { reason?: string; message?: string } = {}): Obj => ({ type, status, ...extra })
const obj = (apiVersion: string, kind: string, body: Obj = {}, metadata: Obj = {}): Obj => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'default', ...metadata },
  ...body,
})
const state = (name: string, flags: Partial<SteveState> = {}): SteveState => ({ name, error: false, transitioning: false, message: '', ...flags })

const readyPodConditions = [cond('Initialized', 'True'), cond('Ready', 'True'), cond('ContainersReady', 'True'), cond('PodScheduled', 'True')]

const cases: [string, Obj, SteveState][] = [
  // Pods
  ['a running, ready pod', obj('v1', 'Pod', { status: { phase: 'Running', conditions: readyPodConditions } }), state('running')],
  [
    'a running pod whose container is not ready (e.g. crash-looping)',
    obj('v1', 'Pod', {
      status: {
        phase: 'Running',
        conditions: [cond('Initialized', 'True'), cond('Ready', 'False', { reason: 'ContainersNotReady', message: 'containers with unready status: [app]' }), cond('PodScheduled', 'True')],
      },
    }),
    state('unavailable', { transitioning: true, message: 'containers with unready status: [app]' }),
  ],
  [
    'an unschedulable pod',
    obj('v1', 'Pod', { status: { phase: 'Pending', conditions: [cond('PodScheduled', 'False', { reason: 'Unschedulable', message: '0/3 nodes are available' })] } }),
    state('scheduling', { error: true, message: '0/3 nodes are available' }),
  ],
  ['a pending pod without conditions yet', obj('v1', 'Pod', { status: { phase: 'Pending' } }), state('pending')],
  [
    'a completed pod',
    obj('v1', 'Pod', { status: { phase: 'Succeeded', conditions: [cond('Ready', 'False', { reason: 'PodCompleted' })] } }),
    state('succeeded'),
  ],
  [
    'a pod being deleted',
    obj('v1', 'Pod', { status: { phase: 'Running', conditions: readyPodConditions } }, { deletionTimestamp: '2025-06-01T11:59:00Z' }),
    state('removing', { transitioning: true }),
  ],
  // Deployments, StatefulSets, DaemonSets
  [
    'an available deployment',
    obj('apps/v1', 'Deployment', {
      metadata: { name: 'x', namespace: 'default', generation: 2 },
      spec: { replicas: 2, progressDeadlineSeconds: 600 },
      status: {
        observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
        conditions: [cond('Available', 'True'), cond('Progressing', 'True', { reason: 'NewReplicaSetAvailable' })],
      },
    }),
    state('active', { message: 'Deployment is available. Replicas: 2' }),
  ],
  [
    'a deployment rolling out',
    obj('apps/v1', 'Deployment', {
      spec: { replicas: 3, progressDeadlineSeconds: 600 },
      status: {
        replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3,
        conditions: [cond('Available', 'True'), cond('Progressing', 'True', { reason: 'ReplicaSetUpdated' })],
      },
    }),
    state('in-progress', { transitioning: true, message: 'Updated: 1/3' }),
  ],
  [
    'a deployment without minimum availability',
    obj('apps/v1', 'Deployment', {
      spec: { replicas: 1 },
      status: { replicas: 1, conditions: [cond('Available', 'False', { message: 'Deployment does not have minimum availability.' })] },
    }),
    state('updating', { transitioning: true, message: 'Deployment does not have minimum availability.' }),
  ],
  [
    'a deployment past its progress deadline',
    obj('apps/v1', 'Deployment', {
      spec: { replicas: 1 },
      status: { conditions: [cond('Available', 'True'), cond('Progressing', 'False', { reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' })] },
    }),
    state('error', { error: true, message: 'ReplicaSet "x" has timed out progressing.' }),
  ],
  [
    'a deployment whose controller has not seen the latest spec',
    obj('apps/v1', 'Deployment', {
      metadata: { name: 'x', namespace: 'default', generation: 3 },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [cond('Available', 'True')] },
    }),
    state('in-progress', { transitioning: true, message: 'Deployment generation is 3, but latest observed generation is 2' }),
  ],
  [
    'a ready statefulset',
    obj('apps/v1', 'StatefulSet', {
      spec: { replicas: 2 },
      status: { replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2, currentRevision: 'r1', updateRevision: 'r1' },
    }),
    state('active', { message: 'All replicas scheduled as expected. Replicas: 2' }),
  ],
  [
    'a statefulset waiting for replicas',
    obj('apps/v1', 'StatefulSet', { spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 1 } }),
    state('in-progress', { transitioning: true, message: 'Ready: 1/3' }),
  ],
  [
    'a ready daemonset',
    obj('apps/v1', 'DaemonSet', {
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 3 },
    }),
    state('active', { message: 'All replicas scheduled as expected. Replicas: 3' }),
  ],
  [
    'a daemonset still rolling out',
    obj('apps/v1', 'DaemonSet', {
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3, numberReady: 3 },
    }),
    state('in-progress', { transitioning: true, message: 'Updated: 2/3' }),
  ],
  // Jobs
  [
    'a complete job',
    obj('batch/v1', 'Job', { spec: { completions: 1 }, status: { succeeded: 1, conditions: [cond('Complete', 'True')] } }),
    state('active', { message: 'Job Completed. succeeded: 1/1' }),
  ],
  [
    'a running job',
    obj('batch/v1', 'Job', { status: { active: 1 } }),
    state('in-progress', { transitioning: true, message: 'Job in progress. success:0, active: 1, failed: 0' }),
  ],
  [
    'a failed job',
    obj('batch/v1', 'Job', { status: { failed: 4, conditions: [cond('Failed', 'True', { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' })] } }),
    state('error', { error: true, message: 'Job has reached the specified backoff limit' }),
  ],
  // Nodes
  [
    'a ready node',
    obj('v1', 'Node', { status: { conditions: [cond('MemoryPressure', 'False'), cond('DiskPressure', 'False'), cond('Ready', 'True')] } }, { namespace: undefined }),
    state('active', { message: 'Resource is current' }),
  ],
  [
    'a node that is not ready',
    obj('v1', 'Node', { status: { conditions: [cond('Ready', 'False', { message: 'kubelet stopped posting node status' })] } }),
    state('unavailable', { transitioning: true, message: 'kubelet stopped posting node status' }),
  ],
  [
    'a node whose kubelet is lost',
    obj('v1', 'Node', { status: { conditions: [cond('Ready', 'Unknown', { message: 'Kubelet stopped posting node status.' })] } }),
    state('unavailable', { error: true, message: 'Kubelet stopped posting node status.' }),
  ],
  [
    'a node under memory pressure',
    obj('v1', 'Node', { status: { conditions: [cond('MemoryPressure', 'True', { message: 'kubelet has insufficient memory' }), cond('Ready', 'True')] } }),
    state('error', { error: true, message: 'kubelet has insufficient memory' }),
  ],
  // Namespaces
  ['an active namespace', obj('v1', 'Namespace', { status: { phase: 'Active' } }), state('active')],
  [
    'a namespace being deleted',
    obj('v1', 'Namespace', { status: { phase: 'Terminating' } }, { deletionTimestamp: '2025-06-01T11:59:00Z', finalizers: ['controller.cattle.io/namespace-auth'] }),
    state('removing', { transitioning: true, message: 'waiting on namespace-auth' }),
  ],
  [
    'a deletion stuck for more than five minutes',
    obj('v1', 'Namespace', { status: { phase: 'Terminating' } }, { deletionTimestamp: '2025-06-01T11:50:00Z', finalizers: ['foregroundDeletion'] }),
    state('removing', { transitioning: true, error: true, message: 'waiting on object cleanup' }),
  ],
  // PVCs
  ['a bound PVC', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), state('bound')],
  ['a pending PVC', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }), state('pending')],
  // Services
  ['a ClusterIP service', obj('v1', 'Service', { spec: { type: 'ClusterIP' } }), state('active', { message: 'Resource is current' })],
  [
    'a load balancer still without an address',
    obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }),
    state('pending', { transitioning: true, message: 'Resource is current:Load balancer is being provisioned' }),
  ],
  // Generic conditions and defaults
  ['a ConfigMap', obj('v1', 'ConfigMap', { data: {} }), state('active', { message: 'Resource is current' })],
  [
    'a custom resource whose Ready is False',
    obj('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'False', { message: 'waiting for backend' })] } }),
    state('unavailable', { transitioning: true, message: 'waiting for backend' }),
  ],
  [
    'a custom resource whose Available is Unknown',
    obj('example.com/v1', 'Widget', { status: { conditions: [cond('Available', 'Unknown', { message: 'probe failed' })] } }),
    state('updating', { error: true, message: 'probe failed' }),
  ],
  [
    'a custom resource that is Reconciling',
    obj('example.com/v1', 'Widget', { status: { conditions: [cond('Reconciling', 'True', { message: 'applying' })] } }),
    state('reconciling', { transitioning: true, message: 'applying' }),
  ],
  [
    'a custom resource with a condition whose reason is Error',
    obj('example.com/v1', 'Widget', { status: { conditions: [cond('Synced', 'True', { reason: 'Error', message: 'boom' })] } }),
    state('error', { error: true, message: 'boom' }),
  ],
  [
    'a custom resource that is Stalled',
    obj('example.com/v1', 'Widget', { status: { conditions: [cond('Stalled', 'True', { message: 'gave up' })] } }),
    state('error', { error: true, message: 'gave up' }),
  ],
  ['a custom resource that is ready', obj('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'True')] } }), state('active', { message: 'Resource is current' })],
  [
    'an object carrying its own summary',
    obj('fleet.cattle.io/v1alpha1', 'Bundle', { status: { display: { state: 'Modified', error: true, message: 'drifted' } } }),
    state('modified', { error: true, message: 'drifted' }),
  ],
  ['an object with spec.active false', obj('example.com/v1', 'Toggle', { spec: { active: false } }), state('inactive')],
  [
    'messages de-duplicated and joined with ":"',
    obj('example.com/v1', 'Widget', {
      status: { conditions: [cond('Failed', 'True', { message: ' same ' }), cond('Stalled', 'True', { message: 'same' }), cond('Initialized', 'False', { message: 'other' })] },
    }),
    state('initializing', { error: true, message: 'same:other' }),
  ],
]

describe('objectState', () => {
  it.each(cases)('%s', (_name, object, expected) => {
    expect(objectState(object, NOW)).toEqual(expected)
  })

  it('does not change the object', () => {
    const object = obj('apps/v1', 'Deployment', { status: { conditions: [cond('Available', 'False')] } })
    const copy = structuredClone(object)
    objectState(object, NOW)
    expect(object).toEqual(copy)
  })
})
