import type { Pod } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';

import {
  fromAssignments,
  fromHints,
  fromMachineState,
  loadMachine,
  quietLogger,
  readFixture,
  sortedCompact,
  toAssignments,
  toHint,
  toMachineState,
  toPod,
  type CompactAssignments,
  type CompactMachineState,
  type CompactPod,
} from '../fixtures.test-support.js';
import { MemoryState } from '../state/memory-state.js';
import { AllocationError, NO_PREFERENCE } from './policy.js';
import { StaticPolicy } from './policy-static.js';

interface StateCase {
  name: string;
  upstream?: string;
  machineState: CompactMachineState;
  assignments?: CompactAssignments;
  expectMachineState?: CompactMachineState;
  expectAssignments?: CompactAssignments;
}
interface AllocateCase extends StateCase {
  pod: CompactPod;
  allocate: string[];
  hint: string | null;
  expectError?: string;
}
interface HintsCase extends StateCase {
  pod: CompactPod;
  container?: string;
  scope?: 'pod';
  expectHints: Record<string, string[]> | null;
}
interface RemoveCase extends StateCase {
  remove: [string, string];
}

// The policy works on whatever machine state it is given; the machine only seeds a fresh one.
function newPolicy(): StaticPolicy {
  return new StaticPolicy({
    machine: loadMachine('mem-single-numa'),
    reserved: new Map([[0, new Map([['memory', 512 * 1024 * 1024]])]]),
    featureGates: { PodLevelResources: true, InPlacePodVerticalScaling: true },
    logger: quietLogger,
  });
}

function stateOf(c: StateCase): MemoryState {
  return new MemoryState(toMachineState(c.machineState), toAssignments(c.assignments));
}

function container(pod: Pod, name: string) {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
  if (!found) throw new Error(`fixture has no container ${name}`);
  return found;
}

/** The state is what the case expects, or, when it expects nothing (or a refusal), what it started from. */
function expectState(state: MemoryState, c: StateCase, unchanged = false): void {
  const machine = unchanged ? c.machineState : (c.expectMachineState ?? c.machineState);
  const assignments = unchanged ? c.assignments : (c.expectAssignments ?? c.assignments);
  expect(fromMachineState(state.machineState())).toEqual(fromMachineState(toMachineState(machine)));
  expect(fromAssignments(state.assignments())).toEqual(sortedCompact(assignments));
}

const allocateCases = [
  ...readFixture<{ cases: AllocateCase[] }>('static-allocate.json').cases,
  ...readFixture<{ cases: AllocateCase[] }>('static-init-containers.json').cases,
];

describe('StaticPolicy.allocate', () => {
  it.each(allocateCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    const run = () => {
      for (const name of c.allocate) policy.allocate(state, pod, container(pod, name), toHint(c.hint));
    };
    if (c.expectError) {
      const before = state.version;
      expect(run).toThrow(AllocationError);
      expect(run).toThrow(c.expectError);
      expect(state.version).toBe(before);
      expectState(state, c, true); // a refused allocation changes nothing
    } else {
      run();
      expectState(state, c);
    }
  });

  it('is idempotent: a second allocate of the same container changes nothing', () => {
    const c = readFixture<{ cases: AllocateCase[] }>('static-allocate.json').cases.find((x) => x.name.startsWith('spreads'));
    if (!c) throw new Error('fixture missing');
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    policy.allocate(state, pod, container(pod, 'container1'), toHint(c.hint));
    const after = fromMachineState(state.machineState());
    policy.allocate(state, pod, container(pod, 'container1'), toHint('[2,3] preferred'));
    expect(fromMachineState(state.machineState())).toEqual(after);
  });
});

describe('StaticPolicy.topologyHints', () => {
  const cases = readFixture<{ cases: HintsCase[] }>('static-hints.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    const hints = c.scope === 'pod' ? policy.podTopologyHints(state, pod) : policy.topologyHints(state, pod, container(pod, c.container ?? ''));
    if (c.expectHints === null) expect(hints.size).toBe(0);
    else expect(fromHints(hints)).toEqual(c.expectHints);
    expectState(state, c); // hints never change the state
  });

  it('gives no hints for a pod using pod-level resources', () => {
    const state = new MemoryState(toMachineState({ '0': { cells: [0], memory: ['2Gi', '512Mi', '1536Mi', '0', '1536Mi'] } }));
    const pod = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory: '1Gi' } }] });
    expect(fromHints(newPolicy().topologyHints(state, pod, container(pod, 'c')))).toEqual({ memory: ['[0] preferred'] });
    const podLevel = { ...pod, spec: { ...pod.spec, resources: { limits: { memory: '1Gi' } } } } as Pod;
    expect(newPolicy().topologyHints(state, podLevel, container(podLevel, 'c'))).toBe(NO_PREFERENCE);
  });

  it('counts what a resized container was admitted with, not the resize', () => {
    const state = new MemoryState(toMachineState({ '0': { cells: [0], memory: ['2Gi', '512Mi', '1536Mi', '0', '1536Mi'] } }));
    const resized = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory: '4Gi' } }] });
    const status = { qosClass: 'Guaranteed', containerStatuses: [{ name: 'c', allocatedResources: { memory: '1Gi' } }] };
    const pod = { ...resized, status } as unknown as Pod;
    expect(fromHints(newPolicy().topologyHints(state, pod, container(pod, 'c')))).toEqual({ memory: ['[0] preferred'] });
  });
});

describe('StaticPolicy.removeContainer', () => {
  const cases = readFixture<{ cases: RemoveCase[] }>('static-remove-container.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const state = stateOf(c);
    newPolicy().removeContainer(state, ...c.remove);
    expectState(state, c);
  });
});

describe('StaticPolicy', () => {
  it('refuses to be built without memory reserved for the system', () => {
    expect(
      () => new StaticPolicy({ machine: loadMachine('mem-single-numa'), reserved: new Map(), featureGates: {}, logger: quietLogger }),
    ).toThrow('needs memory reserved for the system');
  });

  it('starts from the machine less the reserved memory and the hugepages', () => {
    // upstream TestStaticPolicyStart "should fill the state with default values, when the state is empty"
    expect(fromMachineState(newPolicy().initialMachineState())).toEqual({
      '0': { cells: [0], assignments: 0, 'hugepages-1Gi': ['1Gi', '0', '1Gi', '0', '1Gi'], memory: ['3Gi', '512Mi', '1536Mi', '0', '1536Mi'] },
    });
  });

  it('reports allocatable memory per node and type', () => {
    const state = new MemoryState(newPolicy().initialMachineState());
    expect(newPolicy().allocatableMemory(state)).toEqual([
      { numaAffinity: [0], type: 'hugepages-1Gi', size: 1024 ** 3 },
      { numaAffinity: [0], type: 'memory', size: 1536 * 1024 ** 2 },
    ]);
  });
});
