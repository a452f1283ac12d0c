import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { maskOf, type MachineInfo, type Pod } from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';

import {
  capturingLogger,
  fromAssignments,
  fromHints,
  loadMachine,
  quietLogger,
  readFixture,
  tempDir,
  toAssignments,
  toHint,
  toPod,
  type CompactAssignments,
  type CompactPod,
} from './fixtures.test-support.js';
import { MemoryManagerConfigError } from './config.js';
import { MemoryManager } from './memory-manager.js';
import { parseCheckpoint, serializeCheckpoint } from './state/checkpoint-state.js';
import { MemoryManagerStateError, PolicyMismatchError, StaleStateError, StateFileError } from './state/errors.js';
import type { NUMANodeMap } from './state/memory-state.js';

const documented = {
  memoryManagerPolicy: 'Static',
  kubeReserved: { cpu: '4', memory: '4Gi' },
  systemReserved: { cpu: '1', memory: '1Gi' },
  reservedMemory: [
    { numaNode: 0, limits: { memory: '3Gi' } },
    { numaNode: 1, limits: { memory: '2148Mi' } },
  ],
};

function manager(stateDir: string, machine: MachineInfo = loadMachine('mem-dual-numa'), kubeletConfig: unknown = documented, logger: Logger = quietLogger) {
  return new MemoryManager({ machine, kubeletConfig, stateDir, logger });
}

function guaranteed(uid: string, requests: Record<string, string>, name = 'app'): Pod {
  return toPod({ uid, containers: [{ name, requests: { cpu: '2', ...requests } }] });
}

describe('MemoryManager', () => {
  it('refuses a configuration with every problem listed', () => {
    const bad = { ...documented, reservedMemory: [{ numaNode: 0, limits: { memory: '1Gi' } }, { numaNode: 4, limits: { memory: '2Gi' } }] };
    let error: unknown;
    try {
      manager(tempDir(), loadMachine('mem-dual-numa'), bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MemoryManagerConfigError);
    expect((error as MemoryManagerConfigError).problems.map(String)).toEqual([
      'reservedMemory: sum of reserved memory on NUMA nodes (3Gi) does not equal kubeReserved+systemReserved+evictionHard (5220Mi)',
      'reservedMemory[1].numaNode: NUMA node 4 does not exist on this machine (it has 0, 1)',
    ]);
  });

  it('places a Guaranteed container, answers cpuset.mems and keeps it in the state file', () => {
    const dir = tempDir();
    const mm = manager(dir);
    mm.start();
    const pod = guaranteed('p1', { memory: '2Gi', 'hugepages-1Gi': '1Gi' });
    expect(fromHints(mm.getTopologyHints(pod, 'app'))).toEqual({
      'hugepages-1Gi': ['[0] preferred', '[1] preferred', '[0,1]'],
      memory: ['[0] preferred', '[1] preferred', '[0,1]'],
    });
    expect(mm.allocate(pod, 'app', toHint('[1] preferred'))).toEqual({
      ok: true,
      allocation: { podUID: 'p1', containerName: 'app', cpusetMems: '1' },
    });
    expect(mm.memoryNodesFor('p1', 'app')).toEqual([1]);
    expect(mm.listAllocations()).toEqual([{ podUID: 'p1', containerName: 'app', cpusetMems: '1' }]);
    // after a restart the container's hints are what it holds
    const again = manager(dir);
    again.start();
    expect(fromHints(again.getTopologyHints(pod, 'app'))).toEqual({ 'hugepages-1Gi': ['[1] preferred'], memory: ['[1] preferred'] });
    expect(again.memoryBlocksFor('p1', 'app')).toEqual(mm.memoryBlocksFor('p1', 'app'));
  });

  it('spreads a request over a group and names all its nodes in cpuset.mems', () => {
    const mm = manager(tempDir());
    mm.start();
    const big = guaranteed('big', { memory: '100Gi' });
    expect(fromHints(mm.getTopologyHints(big, 'app'))).toEqual({ memory: ['[0,1] preferred'] });
    const result = mm.allocate(big, 'app', toHint('[0,1] preferred'));
    expect(result).toMatchObject({ ok: true, allocation: { cpusetMems: '0-1' } });
  });

  it('gives other pods no preference and every NUMA node', () => {
    const mm = manager(tempDir());
    mm.start();
    const burstable = toPod({ uid: 'b', containers: [{ name: 'app', requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } }] });
    expect(mm.getTopologyHints(burstable, 'app').size).toBe(0);
    expect(mm.getPodTopologyHints(burstable).size).toBe(0);
    expect(mm.allocate(burstable, 'app', toHint(null))).toEqual({ ok: true, allocation: { podUID: 'b', containerName: 'app', cpusetMems: '0-1' } });
    expect(mm.listAllocations()).toEqual([]);
  });

  it('refuses admission with the upstream reason when memory cannot be placed, changing nothing', () => {
    const dir = tempDir();
    const mm = manager(dir);
    mm.start();
    const before = readFileSync(mm.stateFile, 'utf8');
    // As the kubelet words a failed Allocate, with the memory manager's own text inside.
    expect(mm.allocate(guaranteed('huge', { memory: '200Gi' }), 'app', toHint(null))).toEqual({
      ok: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Allocate failed due to [memorymanager] failed to get the default NUMA affinity, no NUMA nodes with enough memory is available, which is unexpected',
    });
    expect(mm.allocate(guaranteed('huge', { memory: '200Gi' }), 'app', toHint('[0] preferred'))).toEqual({
      ok: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Allocate failed due to [memorymanager] failed to find NUMA nodes to extend the current topology hint, which is unexpected',
    });
    expect(readFileSync(mm.stateFile, 'utf8')).toBe(before);
    expect(mm.allocate(guaranteed('x', { memory: '1Gi' }), 'nope', toHint(null))).toEqual({
      ok: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Allocate failed due to [memorymanager] pod default/pod-x has no container "nope", which is unexpected',
    });
  });

  it('undoes an allocation whose state file cannot be written, and writes a release with the next change', () => {
    const dir = tempDir();
    const mm = manager(dir);
    mm.start();
    expect(mm.allocate(guaranteed('a', { memory: '2Gi' }), 'app', toHint('[0] preferred')).ok).toBe(true);
    // A pod asking for all of node 1's memory fits there only while nothing is taken from it.
    const node1 = mm.allocatableMemory().find((b) => b.type === 'memory' && b.numaAffinity[0] === 1)?.size ?? 0;
    const probe = guaranteed('probe', { memory: `${node1}` });
    const hints = fromHints(mm.getTopologyHints(probe, 'app'));
    expect(hints['memory']).toContain('[1] preferred');
    // The state file's place is taken by a directory: the rename of every write fails.
    const blockWrites = () => {
      rmSync(mm.stateFile);
      mkdirSync(join(mm.stateFile, 'blocker'), { recursive: true });
    };
    const allowWrites = () => rmSync(mm.stateFile, { recursive: true });

    blockWrites();
    expect(mm.allocate(guaranteed('b', { memory: '1Gi', 'hugepages-1Gi': '1Gi' }), 'app', toHint('[1] preferred'))).toMatchObject({
      ok: false,
      reason: 'UnexpectedAdmissionError',
    });
    expect(mm.memoryNodesFor('b', 'app')).toBeUndefined();
    expect(fromHints(mm.getTopologyHints(probe, 'app'))).toEqual(hints);

    mm.removeContainer('a', 'app');
    expect(mm.memoryNodesFor('a', 'app')).toBeUndefined();
    allowWrites();
    expect(mm.allocate(guaranteed('c', { memory: '1Gi' }), 'app', toHint('[1] preferred')).ok).toBe(true);
    const text = readFileSync(mm.stateFile, 'utf8');
    const stored = parseCheckpoint(text, mm.stateFile);
    expect(fromAssignments(stored.entries)).toEqual({ c: { app: [['memory', [1], '1Gi']] } });
    expect(text).toBe(serializeCheckpoint(stored));
    // The machine state written is the one its assignments give: a restart adopts it as is.
    const { logger, records } = capturingLogger();
    manager(dir, loadMachine('mem-dual-numa'), documented, logger).start();
    expect(records.map((r) => r['msg'])).toContain('restored the memory manager state');
    expect(records.map((r) => r['msg'])).not.toContain('machine state changed since the state file was written');
  });

  it('frees memory on removal and removes stale containers, writing the file each time', () => {
    const mm = manager(tempDir());
    mm.start();
    const a = guaranteed('a', { memory: '1Gi' });
    const b = toPod({ uid: 'b', containers: [{ name: 'one', requests: { cpu: '1', memory: '1Gi' } }, { name: 'two', requests: { cpu: '1', memory: '1Gi' } }] });
    mm.allocate(a, 'app', toHint('[0] preferred'));
    mm.allocate(b, 'one', toHint('[0] preferred'));
    mm.allocate(b, 'two', toHint('[0] preferred'));
    const stored = () => fromAssignments(parseCheckpoint(readFileSync(mm.stateFile, 'utf8'), mm.stateFile).entries);
    expect(Object.keys(stored())).toEqual(['a', 'b']);

    mm.removeContainer('a', 'app');
    mm.removeContainer('a', 'app'); // idempotent
    expect(Object.keys(stored())).toEqual(['b']);

    // pod b is still active, but its spec no longer lists container "two"; a UID alone keeps all containers
    const bNow = toPod({ uid: 'b', containers: [{ name: 'one', requests: { cpu: '1', memory: '1Gi' } }] });
    mm.removeStaleState([bNow]);
    expect(stored()).toEqual({ b: { one: [['memory', [0], '1Gi']] } });
    mm.removeStaleState(['b']);
    expect(stored()).toEqual({ b: { one: [['memory', [0], '1Gi']] } });
    mm.removeStaleState([]);
    expect(stored()).toEqual({});
    expect(mm.allocatableMemory().find((blk) => blk.type === 'memory' && blk.numaAffinity[0] === 0)?.size).toBe(56 * 1024 ** 3);
  });

  it('releases finished init containers when the next container starts, keeping what was reused', () => {
    const mm = manager(tempDir());
    mm.start();
    const compact: CompactPod = {
      uid: 'init',
      initContainers: [{ name: 'init1', requests: { cpu: '1', memory: '4Gi' } }, { name: 'sidecar', requests: { cpu: '1', memory: '1Gi' }, restartPolicy: 'Always' }],
      containers: [{ name: 'app', requests: { cpu: '1', memory: '3Gi' } }],
    };
    const pod = toPod(compact);
    for (const name of ['init1', 'sidecar', 'app']) expect(mm.allocate(pod, name, toHint('[0] preferred')).ok).toBe(true);
    mm.addContainer(pod, 'app');
    expect(mm.memoryNodesFor('init', 'init1')).toBeUndefined();
    expect(mm.memoryNodesFor('init', 'sidecar')).toEqual([0]);
    // the pod holds 4Gi of node 0's 56Gi (init1's 4Gi, reused by the sidecar and the app): 52Gi are left there
    expect(mm.allocate(guaranteed('too-big', { memory: '53Gi' }), 'app', toHint('[0] preferred')).ok).toBe(false);
    expect(mm.allocate(guaranteed('rest', { memory: '52Gi' }), 'app', toHint('[0] preferred')).ok).toBe(true);
  });

  it('refuses to be used before start()', () => {
    expect(() => manager(tempDir()).listAllocations()).toThrow('before start()');
  });

  it('writes a None policy state file like the kubelet does', () => {
    const mm = manager(tempDir(), loadMachine('mem-dual-numa'), { memoryManagerPolicy: 'None' });
    mm.start();
    expect(readFileSync(mm.stateFile, 'utf8')).toMatch(/^\{"policyName":"None","machineState":\{\},"checksum":\d+\}$/);
    expect(mm.allocate(guaranteed('p', { memory: '1Gi' }), 'app', toHint(null))).toMatchObject({ ok: true, allocation: { cpusetMems: '0-1' } });
  });
});

interface PodToPlace {
  pod: CompactPod;
  allocate: string[];
  hint: string | null;
}
interface RestartCase {
  name: string;
  before: { machine: string; config: unknown; pods: PodToPlace[] };
  after: { machine: string; config: unknown };
  expect: {
    outcome: 'restored' | 'rebuilt' | 'migrated' | 'refused';
    changes?: string[];
    changesInclude?: string[];
    error?: string;
    field?: string;
    message?: string;
    remedy?: string;
    policyName?: string;
  };
}

describe('MemoryManager restart', () => {
  const cases = readFixture<{ cases: RestartCase[] }>('restart.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const dir = tempDir();
    const first = manager(dir, loadMachine(c.before.machine), c.before.config);
    first.start();
    for (const p of c.before.pods) {
      const pod = toPod(p.pod);
      for (const name of p.allocate) expect(first.allocate(pod, name, toHint(p.hint)).ok).toBe(true);
    }
    const held = fromAssignments(parseCheckpoint(readFileSync(first.stateFile, 'utf8'), first.stateFile).entries);

    const { logger, records } = capturingLogger();
    const second = manager(dir, loadMachine(c.after.machine), c.after.config, logger);
    if (c.expect.outcome === 'refused') {
      let error: MemoryManagerStateError | undefined;
      try {
        second.start();
      } catch (err) {
        error = err as MemoryManagerStateError;
      }
      expect(error?.name).toBe(c.expect.error);
      expect(error?.field).toBe(c.expect.field);
      expect(error?.file).toBe(second.stateFile);
      expect(error?.message).toContain(c.expect.message);
      expect(error?.remedy).toContain(`delete ${second.stateFile}`);
      if (c.expect.remedy) expect(error?.remedy).toContain(c.expect.remedy);
      // nothing is dropped: the file still holds every assignment
      expect(fromAssignments(parseCheckpoint(readFileSync(second.stateFile, 'utf8'), second.stateFile).entries)).toEqual(held);
      return;
    }
    second.start();
    const messages = records.map((r) => r['msg']);
    const changes = records
      .filter((r) => r['msg'] === 'machine state changed since the state file was written')
      .map((r) => `${String(r['field'])} ${String(r['stored'])} -> ${String(r['current'])}`);
    const onDisk = parseCheckpoint(readFileSync(second.stateFile, 'utf8'), second.stateFile);
    if (c.expect.outcome === 'migrated') {
      expect(messages).toContain("state file of another policy holds no assignments; migrating it");
      expect(onDisk.policyName).toBe(c.expect.policyName);
      expect(onDisk.entries.size).toBe(0);
      return;
    }
    if (c.expect.changes) expect(changes).toEqual(c.expect.changes);
    for (const change of c.expect.changesInclude ?? []) expect(changes).toContain(change);
    expect(messages).toContain(
      c.expect.outcome === 'rebuilt' ? 'rebuilt the machine state from this machine and the recorded assignments' : 'restored the memory manager state',
    );
    // every assignment survives, and the file now describes this machine
    expect(fromAssignments(onDisk.entries)).toEqual(held);
    expect(onDisk.machineState).toEqual(second.policy.expectedMachineState(onDisk.entries).state);
  });
});

describe('MemoryManager start on a hand-made state file', () => {
  const machine = loadMachine('mem-dual-numa');
  const write = (dir: string, entries: CompactAssignments, machineState?: NUMANodeMap) => {
    const mm = manager(dir, machine);
    const file = mm.stateFile;
    const state = machineState ?? mm.policy.expectedMachineState(toAssignments(entries)).state;
    writeFileSync(file, serializeCheckpoint({ policyName: 'Static', machineState: state, entries: toAssignments(entries) }));
    return mm;
  };

  it('refuses assignments that put a node in two groups', () => {
    const quad = loadMachine('mem-quad-numa');
    const dir = tempDir();
    const mm = manager(dir, quad);
    const entries = toAssignments({ p: { a: [['memory', [0, 1], '1Gi']] }, q: { b: [['memory', [1, 2], '1Gi']] } });
    writeFileSync(mm.stateFile, serializeCheckpoint({ policyName: 'Static', machineState: mm.policy.initialMachineState(), entries }));
    expect(() => mm.start()).toThrow(StaleStateError);
    expect(() => manager(dir, quad).start()).toThrow('a NUMA node can be part of only one group');
  });

  it('restarts on the groups upstream leaves after single-node memory went onto a node of a group (kubernetes#113035)', () => {
    const dir = tempDir();
    const first = manager(dir, machine);
    first.start();
    const group = { metadata: { name: 'g', namespace: 'd', uid: 'group' }, spec: { containers: [{ name: 'app', resources: { requests: { cpu: '1', memory: '60Gi' }, limits: { cpu: '1', memory: '60Gi' } } }] } } as Pod;
    const single = { metadata: { name: 's', namespace: 'd', uid: 'single' }, spec: { containers: [{ name: 'app', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] } } as Pod;
    expect(first.allocate(group, 'app', { numaAffinity: maskOf([0, 1]), preferred: true })).toMatchObject({ ok: true });
    expect(first.allocate(single, 'app', { numaAffinity: maskOf([1]), preferred: false })).toMatchObject({ ok: true, allocation: { cpusetMems: '1' } });
    const { logger, records } = capturingLogger();
    const second = manager(dir, machine, documented, logger);
    expect(() => second.start()).not.toThrow();
    expect(second.memoryNodesFor('single', 'app')).toEqual([1]);
    expect(second.memoryNodesFor('group', 'app')).toEqual([0, 1]);
    expect(records.some((r) => r['level'] === 60 || r['level'] === 50)).toBe(false);
  });

  it('rebuilds counters that disagree with the assignments (the upstream restart failure of kubernetes#113035)', () => {
    const dir = tempDir();
    const entries: CompactAssignments = { p: { a: [['memory', [0, 1], '60Gi']] } };
    const wrong = manager(dir, machine).policy.expectedMachineState(toAssignments(entries)).state;
    const node0 = wrong.get(0);
    if (node0) node0.cells = [0];
    write(dir, entries, wrong);
    const { logger, records } = capturingLogger();
    manager(dir, machine, documented, logger).start();
    expect(records.map((r) => r['field'])).toContain('machineState["0"].cells');
  });

  it('refuses an empty machine state that still records assignments', () => {
    const dir = tempDir();
    const mm = write(dir, { p: { a: [['memory', [0], '1Gi']] } }, new Map());
    let error: unknown;
    try {
      mm.start();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StateFileError);
    expect(error).toMatchObject({ field: 'machineState', message: `${mm.stateFile}: machineState: is empty, yet 1 container assignment(s) are recorded` });
  });

  it('names the file of a corrupt state and keeps it for the operator', () => {
    const dir = tempDir();
    const mm = manager(dir, machine);
    writeFileSync(mm.stateFile, '{"policyName":"Static","machineState":{');
    expect(() => mm.start()).toThrow(`${mm.stateFile}: not valid JSON`);
    expect(readFileSync(mm.stateFile, 'utf8')).toBe('{"policyName":"Static","machineState":{');
  });

  it('refuses a policy mismatch with a typed error', () => {
    const dir = tempDir();
    const first = manager(dir, machine);
    first.start();
    first.allocate(guaranteed('p', { memory: '1Gi' }), 'app', toHint(null));
    expect(() => manager(dir, machine, { memoryManagerPolicy: 'None' }).start()).toThrow(PolicyMismatchError);
  });
});
