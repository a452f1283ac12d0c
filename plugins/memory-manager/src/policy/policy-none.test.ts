import { describe, expect, it } from 'vitest';

import { toPod } from '../fixtures.test-support.js';
import { MemoryState } from '../state/memory-state.js';
import { NonePolicy } from './policy-none.js';

describe('NonePolicy', () => {
  it('has no preference, places nothing and reports nothing allocatable', () => {
    const policy = new NonePolicy();
    const state = new MemoryState();
    const pod = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory: '1Gi' } }] });
    const c = pod.spec?.containers[0];
    if (!c) throw new Error('no container');
    expect(policy.name).toBe('None');
    expect(policy.topologyHints(state, pod, c).size).toBe(0);
    expect(policy.podTopologyHints(state, pod).size).toBe(0);
    policy.allocate(state, pod, c, { numaAffinity: null, preferred: true });
    policy.removeContainer(state, 'p', 'c');
    expect(state.version).toBe(0);
    expect(policy.allocatableMemory(state)).toEqual([]);
    expect(policy.initialMachineState().size).toBe(0);
  });
});
