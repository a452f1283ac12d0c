import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { rejectedPodStatus } from './pod-status.js';

const pod = (requests: Record<string, string>): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'c', resources: { requests } }] } });

describe('rejectedPodStatus', () => {
  // upstream rejectPod: phase Failed, the handler's reason, "Pod was rejected: " + its message, the pod's QoS class.
  it.each<[string, Pod, string, string, string]>([
    ['resources', pod({ cpu: '3' }), 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000", 'Burstable'],
    ['sysctls', pod({}), 'SysctlForbidden', 'forbidden sysctl: "kernel.sem" not allowlisted', 'BestEffort'],
    ['topology', pod({}), 'TopologyAffinityError', 'Resources cannot be allocated with Topology locality', 'BestEffort'],
    ['a plugin', pod({}), 'NodeShutdown', 'Pod was rejected as the node is shutting down.', 'BestEffort'],
  ])('%s', (_name, p, reason, message, qosClass) => {
    expect(rejectedPodStatus(p, reason, message, Date.UTC(2025, 0, 1))).toEqual({
      phase: 'Failed',
      reason,
      message: `Pod was rejected: ${message}`,
      startTime: '2025-01-01T00:00:00Z',
      qosClass,
    });
  });
});
