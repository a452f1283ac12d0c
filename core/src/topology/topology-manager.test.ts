import { Writable } from 'node:stream';
import type { Pod, ProviderHints } from '@kernelet/sdk/common';
import { maskOf } from '@kernelet/sdk/common';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HintProvider } from '../extension-points/hint-provider.js';
import type { NUMAMachine } from './numa-info.js';
import { TopologyConfigError } from './topology-config-error.js';
import { TopologyManager } from './topology-manager.js';
import { hintOf, loadFixture, type FixtureHint, type FixtureMachine } from './testing/fixtures.js';
import { ScriptedProvider, type ProviderScript } from './testing/scripted-provider.js';

interface AdmissionCase {
  name: string;
  policy: string;
  scope?: string;
  options?: Record<string, string>;
  pod: { initContainers?: string[]; containers: string[] };
  providers: Record<string, ProviderScript>;
  expect: {
    result: { admit: true } | { admit: false; reason: string; message: string };
    affinities: Record<string, FixtureHint>;
    calls: string[];
  };
}

interface AdmissionFixture {
  models: string;
  machine: FixtureMachine;
  cases: AdmissionCase[];
}

function podOf(shape: AdmissionCase['pod'], uid = 'uid-1'): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid },
    spec: {
      initContainers: (shape.initContainers ?? []).map((name) => ({ name, ...(name === 'proxy' ? { restartPolicy: 'Always' } : {}) })),
      containers: shape.containers.map((name) => ({ name })),
    },
  };
}

function machineOf(numaNodes: readonly number[]): NUMAMachine {
  return { numaNodes: numaNodes.map((id) => ({ id, distances: new Map(numaNodes.map((to) => [to, to === id ? 10 : 20])) })) };
}

describe('TopologyManager admission', () => {
  const tables = ['admission-container-scope.json', 'admission-pod-scope.json'].flatMap((file) => {
    const fixture = loadFixture<AdmissionFixture>(file);
    return fixture.cases.map((c) => ({ file, machine: fixture.machine, ...c }));
  });

  it.each(tables)('$file: $name', async (c) => {
    const log: string[] = [];
    const providers = Object.entries(c.providers).map(([name, script]) => new ScriptedProvider(name, script, c.machine.numaNodes, log));
    const manager = new TopologyManager({
      policy: c.policy,
      ...(c.scope ? { scope: c.scope } : {}),
      policyOptions: c.options ?? {},
      machine: machineOf(c.machine.numaNodes),
      providerTimeoutMs: 50,
    });
    const pod = podOf(c.pod);
    expect(await manager.admit(pod, providers)).toEqual(c.expect.result);
    expect(log).toEqual(c.expect.calls);
    const names = [...(c.pod.initContainers ?? []), ...c.pod.containers];
    const affinities = Object.fromEntries(names.flatMap((n) => {
      const hint = manager.getAffinity('uid-1', n);
      return hint === undefined ? [] : [[n, hint]];
    }));
    expect(affinities).toEqual(Object.fromEntries(Object.entries(c.expect.affinities).map(([n, h]) => [n, hintOf(h)])));
  });
});

describe('TopologyManager', () => {
  const twoNodes = machineOf([0, 1]);

  it('admits one pod at a time, so hints and allocations of two pods never interleave', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: HintProvider = {
      name: 'slow',
      async getTopologyHints(pod, containerName) {
        log.push(`hints ${pod.metadata?.uid} ${containerName}`);
        if (pod.metadata?.uid === 'first') await gate;
        return new Map();
      },
      getPodTopologyHints: async () => new Map(),
      async allocate(pod, containerName) {
        log.push(`allocate ${pod.metadata?.uid} ${containerName}`);
        return { ok: true, allocation: { podUID: pod.metadata?.uid ?? '', containerName } };
      },
      removeContainer: async () => undefined,
      listAllocations: async () => ({ allocations: [], shared: null }),
    };
    const manager = new TopologyManager({ policy: 'best-effort', machine: twoNodes });
    const first = manager.admit(podOf({ containers: ['a'] }, 'first'), [slow]);
    const second = manager.admit(podOf({ containers: ['a'] }, 'second'), [slow]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['hints first a', 'allocate first a', 'hints second a', 'allocate second a']);
  });

  it('forgets hints per container and per pod', async () => {
    const manager = new TopologyManager({ policy: 'restricted', machine: twoNodes });
    const provider = new ScriptedProvider('cpu', { containerHints: { a: { cpu: [{ numaAffinity: [1], preferred: true }] } } }, [0, 1], []);
    await manager.admit(podOf({ containers: ['a', 'b'] }), [provider]);
    expect(manager.getAffinity('uid-1', 'a')).toEqual({ numaAffinity: maskOf([1]), preferred: true });
    manager.removeContainer('uid-1', 'a');
    expect(manager.getAffinity('uid-1', 'a')).toBeUndefined();
    expect(manager.getAffinity('uid-1', 'b')).toEqual({ numaAffinity: maskOf([0, 1]), preferred: true });
    manager.removePod('uid-1');
    expect(manager.getAffinity('uid-1', 'b')).toBeUndefined();
  });

  it('rejects hints that are not a map of resources, naming the provider', async () => {
    const broken = new ScriptedProvider('gpu', {}, [0, 1], []);
    broken.getTopologyHints = async () => [] as unknown as ProviderHints;
    const manager = new TopologyManager({ policy: 'best-effort', machine: twoNodes });
    expect(await manager.admit(podOf({ containers: ['a'] }), [broken])).toEqual({
      admit: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Topology hints failed due to hint provider "gpu": getTopologyHints answered an array, not a map of resource hints, which is unexpected',
    });
  });

  it.each([
    ['an unknown policy', { policy: 'best_effort' }, 'topologyManagerPolicy', 'unknown policy "best_effort" (want none|best-effort|restricted|single-numa-node)'],
    ['an unknown scope', { policy: 'restricted', scope: 'node' }, 'topologyManagerScope', 'unknown scope "node" (want container|pod)'],
    ['an unknown option', { policy: 'restricted', policyOptions: { colour: 'blue' } }, 'topologyManagerPolicyOptions[colour]', 'unknown Topology Manager Policy option "colour"'],
    [
      'prefer-closest-numa-nodes without distances',
      { policy: 'single-numa-node', policyOptions: { 'prefer-closest-numa-nodes': 'true' }, machine: { numaNodes: [{ id: 0, distances: new Map() }, { id: 1, distances: new Map() }] } },
      'topologyManagerPolicyOptions[prefer-closest-numa-nodes]',
      'needs NUMA distances, but there is none from node 0 to node 0',
    ],
  ])('refuses %s', (_name, config, field, message) => {
    let thrown: unknown;
    try {
      new TopologyManager({ machine: twoNodes, ...config } as ConstructorParameters<typeof TopologyManager>[0]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TopologyConfigError);
    expect((thrown as TopologyConfigError).field).toBe(field);
    expect((thrown as TopologyConfigError).message).toContain(message);
  });

  it('does not read policy options under the none policy, as upstream', () => {
    expect(() => new TopologyManager({ policy: 'none', policyOptions: { colour: 'blue' }, machine: twoNodes })).not.toThrow();
  });

  it('runs past 8 NUMA nodes when max-allowable-numa-nodes is unset, logging where upstream would refuse', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
    const manager = new TopologyManager({ policy: 'restricted', machine: machineOf(Array.from({ length: 64 }, (_, i) => i)), logger: pino(sink) });
    expect(manager.numa.nodes).toHaveLength(64);
    expect(manager.options.maxAllowableNUMANodes).toBeNull();
    expect(lines.find((l) => String(l['msg']).includes('upstream kubelet refuses'))).toMatchObject({ numaNodes: 64, defaultMaxAllowableNUMANodes: 8 });
  });

  it.each([
    ['restricted', '8', 9, 'unsupported on machines with more than 8 NUMA Nodes (the machine has 9;'],
    ['single-numa-node', '16', 64, 'unsupported on machines with more than 16 NUMA Nodes (the machine has 64;'],
  ])('refuses, as upstream, a %s manager whose explicit max-allowable-numa-nodes=%s is below the machine\'s %i nodes', (policy, max, nodes, message) => {
    const create = () =>
      new TopologyManager({ policy, policyOptions: { 'max-allowable-numa-nodes': max }, machine: machineOf(Array.from({ length: nodes }, (_, i) => i)) });
    expect(create).toThrow(TopologyConfigError);
    expect(create).toThrow(`topologyManagerPolicyOptions[max-allowable-numa-nodes]: ${message}`);
  });

  it.each([
    ['a limit the machine stays within', 'best-effort', '16', 16],
    ['the none policy, which reads no option', 'none', '8', 64],
  ])('accepts %s', (_name, policy, max, nodes) => {
    expect(() => new TopologyManager({ policy, policyOptions: { 'max-allowable-numa-nodes': max }, machine: machineOf(Array.from({ length: nodes }, (_, i) => i)) })).not.toThrow();
  });

  it('rejects a pod without a UID instead of keying its hints by nothing', async () => {
    const manager = new TopologyManager({ policy: 'restricted', machine: twoNodes });
    const result = await manager.admit({ metadata: { name: 'x' }, spec: { containers: [{ name: 'a' }] } }, []);
    expect(result).toMatchObject({ admit: false, reason: 'UnexpectedAdmissionError' });
  });
});

describe('allocations kept for the agent to apply', () => {
  const twoNodes = machineOf([0, 1]);
  const provider = (name: string, give: (containerName: string) => Record<string, string>, refuse?: string): HintProvider => ({
    name,
    getTopologyHints: async () => new Map(),
    getPodTopologyHints: async () => new Map(),
    allocate: async (pod, containerName) =>
      refuse === containerName
        ? { ok: false, reason: 'SMTAlignmentError', message: 'no' }
        : { ok: true, allocation: { podUID: pod.metadata?.uid ?? '', containerName, ...give(containerName) } },
    removeContainer: async () => undefined,
    listAllocations: async () => ({ allocations: [], shared: null }),
  });

  it('merges what each provider allocated per container, and forgets it on removal', async () => {
    const manager = new TopologyManager({ policy: 'best-effort', machine: twoNodes });
    const cpus = provider('cpu', (c) => ({ cpusetCpus: c === 'a' ? '2-3' : '4' }));
    const mems = provider('memory', () => ({ cpusetMems: '0' }));
    expect(await manager.admit(podOf({ containers: ['a', 'b'] }, 'p1'), [cpus, mems])).toEqual({ admit: true });
    expect(manager.allocationFor('p1', 'a')).toEqual({ podUID: 'p1', containerName: 'a', cpusetCpus: '2-3', cpusetMems: '0' });
    expect(manager.allocationFor('p1', 'b')).toEqual({ podUID: 'p1', containerName: 'b', cpusetCpus: '4', cpusetMems: '0' });
    manager.removePod('p1');
    expect(manager.allocationFor('p1', 'a')).toBeUndefined();
  });

  it('keeps nothing for a rejected pod', async () => {
    const manager = new TopologyManager({ policy: 'best-effort', machine: twoNodes });
    const cpus = provider('cpu', () => ({ cpusetCpus: '1' }), 'b');
    expect(await manager.admit(podOf({ containers: ['a', 'b'] }, 'p2'), [cpus])).toMatchObject({ admit: false, reason: 'SMTAlignmentError' });
    expect(manager.allocationFor('p2', 'a')).toBeUndefined();
  });
});
