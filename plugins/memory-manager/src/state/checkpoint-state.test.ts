import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readFixture, tempDir, toAssignments, toMachineState } from '../fixtures.test-support.js';
import { CheckpointState, STATE_FILE_NAME, parseCheckpoint, serializeCheckpoint, type Checkpoint } from './checkpoint-state.js';
import { StateFileError, StateWriteError } from './errors.js';

const fixture = readFixture<{ upstreamCheckpoint: string; cases: { name: string; text: string; field: string; error: string }[] }>(
  'bad-state-files.json',
);

const checkpoint: Checkpoint = {
  policyName: 'Static',
  machineState: toMachineState({
    '0': { cells: [0, 1], assignments: 2, memory: ['64Gi', '3Gi', '56Gi', '1Gi', '55Gi'], 'hugepages-1Gi': ['4Gi', '0', '4Gi', '1Gi', '3Gi'] },
    '1': { cells: [0, 1], assignments: 2, memory: ['64Gi', '2148Mi', '59244Mi', '0', '59244Mi'], 'hugepages-1Gi': ['4Gi', '0', '4Gi', '1Gi', '3Gi'] },
    '2': { cells: [2], memory: ['1Gi', '0', '1Gi', '0', '1Gi'] },
    '10': { cells: [10], memory: ['1Gi', '0', '1Gi', '0', '1Gi'] },
  }),
  entries: toAssignments({ '0b2c-uid': { app: [['memory', [0, 1], '1Gi'], ['hugepages-1Gi', [0, 1], '2Gi']], '<init>': [] } }),
};

describe('the state file', () => {
  it('reads upstream checkpoints', () => {
    const restored = parseCheckpoint(fixture.upstreamCheckpoint, 'memory_manager_state');
    expect(restored.policyName).toBe('static');
    expect(restored.entries.get('pod')?.get('container1')).toEqual([{ numaAffinity: [0], type: 'memory', size: 512 }]);
    expect(serializeCheckpoint(restored)).toBe(
      '{"policyName":"static","machineState":{"0":{"numberOfAssignments":0,"memoryMap":{"memory":{"total":2048,"systemReserved":512,' +
        '"allocatable":1536,"reserved":512,"free":1024}},"cells":[]}},"entries":{"pod":{"container1":[{"numaAffinity":[0],' +
        '"type":"memory","size":512}]}},"checksum":4215593881}',
    );
  });

  it('round-trips, written as Go would: string-sorted keys, escaped HTML, no empty entries', () => {
    const text = serializeCheckpoint(checkpoint);
    expect(text.indexOf('"1":')).toBeLessThan(text.indexOf('"10":'));
    expect(text.indexOf('"10":')).toBeLessThan(text.indexOf('"2":'));
    expect(text).toContain('"\\u003cinit\\u003e":[]');
    expect(text.indexOf('"hugepages-1Gi"')).toBeLessThan(text.indexOf('"memory"'));
    expect(parseCheckpoint(text, 'f')).toEqual(checkpoint);
    expect(serializeCheckpoint({ ...checkpoint, entries: new Map() })).not.toContain('"entries"');
    expect(parseCheckpoint(serializeCheckpoint({ ...checkpoint, entries: new Map() }), 'f').entries.size).toBe(0);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('refuses %s', (_name, c) => {
    const read = () => parseCheckpoint(c.text, '/var/lib/kubelet/memory_manager_state');
    expect(read).toThrow(StateFileError);
    expect(read).toThrow(c.error);
    try {
      read();
    } catch (err) {
      const e = err as StateFileError;
      expect(e.field).toBe(c.field);
      expect(e.file).toBe('/var/lib/kubelet/memory_manager_state');
      expect(e.message.startsWith('/var/lib/kubelet/memory_manager_state: ')).toBe(true);
      expect(e.remedy).toBe('drain the node, delete /var/lib/kubelet/memory_manager_state, then restart the memory-manager plugin');
    }
  });

  it('is written atomically, readable by the owner only, and read back', () => {
    const dir = join(tempDir(), 'nested');
    const store = new CheckpointState(dir);
    expect(store.file).toBe(join(dir, STATE_FILE_NAME));
    expect(store.read()).toBeUndefined();
    store.write(checkpoint);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(store.read()).toEqual(checkpoint);
    expect(readFileSync(store.file, 'utf8')).toBe(serializeCheckpoint(checkpoint));
  });

  it('reports a file it cannot write', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocker'), '');
    const store = new CheckpointState(join(dir, 'blocker'));
    expect(() => store.write(checkpoint)).toThrow(StateWriteError);
  });
});
