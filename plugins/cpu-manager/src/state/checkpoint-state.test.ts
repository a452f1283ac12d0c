import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CPUSet } from '@kernelet/sdk/common';
import { decodeCheckpoint } from './checkpoint.js';
import { CheckpointState, readCheckpointFile } from './checkpoint-state.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cpu-manager-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CheckpointState', () => {
  it('writes the upstream format once per commit, and only when something changed', () => {
    const file = join(dir, 'cpu_manager_state');
    const state = new CheckpointState(file, 'static', CPUSet.parse('0-7'));
    state.commit();
    expect(readCheckpointFile(file)).toBeUndefined();
    state.setCPUSet('pod', 'c', CPUSet.parse('2-3'));
    state.setDefaultCPUSet(CPUSet.parse('0-1,4-7'));
    state.commit();
    expect(readFileSync(file, 'utf8')).toBe(state.encode());
    const back = decodeCheckpoint(readFileSync(file, 'utf8'));
    expect(back.policyName).toBe('static');
    expect(back.defaultCPUSet.toString()).toBe('0-1,4-7');
    expect(back.assignments.get('pod')?.get('c')?.toString()).toBe('2-3');
  });

  it('undoes in-memory changes when the operation throws', () => {
    const state = new CheckpointState(join(dir, 'cpu_manager_state'), 'static', CPUSet.parse('0-7'));
    expect(() =>
      state.transaction(() => {
        state.setCPUSet('pod', 'c', CPUSet.parse('2-3'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(state.getCPUSet('pod', 'c')).toBeUndefined();
    expect(state.defaultCPUSet().toString()).toBe('0-7');
  });

  it('undoes in-memory changes when the write fails', () => {
    const file = join(dir, 'cpu_manager_state');
    mkdirSync(join(file, 'blocker'), { recursive: true });
    const state = new CheckpointState(file, 'static', CPUSet.parse('0-7'));
    expect(() => state.transaction(() => state.setDefaultCPUSet(CPUSet.parse('0-3')))).toThrow();
    expect(state.defaultCPUSet().toString()).toBe('0-7');
  });

  it('deletes a pod with its last container', () => {
    const state = new CheckpointState(join(dir, 'f'), 'static');
    state.setCPUSet('pod', 'a', CPUSet.of(1));
    state.setCPUSet('pod', 'b', CPUSet.of(2));
    state.delete('pod', 'a');
    expect([...state.assignments().keys()]).toEqual(['pod']);
    state.delete('pod', 'b');
    expect(state.assignments().size).toBe(0);
    expect(state.getCPUSetOrDefault('pod', 'b')).toEqual(CPUSet.EMPTY);
  });
});
