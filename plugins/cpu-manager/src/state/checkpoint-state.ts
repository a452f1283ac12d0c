import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@kernelet/sdk';
import type { CPUSet } from '@kernelet/sdk/common';
import { decodeCheckpoint, encodeCheckpoint, type RestoredCheckpoint } from './checkpoint.js';
import { MemoryState, type ContainerCPUAssignments, type State } from './state.js';

/** The file name the kubelet uses, under its root directory. */
export const CPU_MANAGER_STATE_FILE = 'cpu_manager_state';

/**
 * Reads a state file. Answers undefined when there is none; throws
 * CheckpointFormatError (field and problem) when it cannot be trusted.
 */
export function readCheckpointFile(file: string): RestoredCheckpoint | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeCheckpoint(text);
}


/**
 * The CPU manager state backed by `cpu_manager_state`. Policies change it like
 * any State; `commit()` writes the whole checkpoint once per operation, and
 * `transaction()` undoes in-memory changes when the operation or the write fails,
 * so memory and file never disagree about an admitted container.
 */
export class CheckpointState implements State {
  private cache: MemoryState;
  private dirty = false;

  constructor(
    readonly file: string,
    /** The policy name written into the file. */
    readonly policyName: string,
    defaultCPUSet?: CPUSet,
    assignments?: ContainerCPUAssignments,
  ) {
    this.cache = new MemoryState(defaultCPUSet, assignments);
  }

  defaultCPUSet(): CPUSet {
    return this.cache.defaultCPUSet();
  }

  getCPUSet(podUID: string, containerName: string): CPUSet | undefined {
    return this.cache.getCPUSet(podUID, containerName);
  }

  getCPUSetOrDefault(podUID: string, containerName: string): CPUSet {
    return this.cache.getCPUSetOrDefault(podUID, containerName);
  }

  assignments(): ContainerCPUAssignments {
    return this.cache.assignments();
  }

  setDefaultCPUSet(cpus: CPUSet): void {
    this.cache.setDefaultCPUSet(cpus);
    this.dirty = true;
  }

  setCPUSet(podUID: string, containerName: string, cpus: CPUSet): void {
    this.cache.setCPUSet(podUID, containerName, cpus);
    this.dirty = true;
  }

  delete(podUID: string, containerName: string): void {
    this.cache.delete(podUID, containerName);
    this.dirty = true;
  }

  clear(): void {
    this.cache.clear();
    this.dirty = true;
  }

  /** The file content for the current state. */
  encode(): string {
    const entries = new Map<string, Map<string, string>>();
    for (const [pod, containers] of this.cache.assignments()) {
      entries.set(pod, new Map([...containers].map(([name, cpus]) => [name, cpus.toString()])));
    }
    return encodeCheckpoint({ policyName: this.policyName, defaultCpuSet: this.cache.defaultCPUSet().toString(), entries });
  }

  /** Writes the checkpoint when something changed since the last write (or always, when forced). */
  commit(force = false): void {
    if (!this.dirty && !force) return;
    writeFileAtomic(this.file, this.encode());
    this.dirty = false;
  }

  /** Runs fn and commits; when either throws, the in-memory state is what it was before. */
  transaction<T>(fn: () => T): T {
    const before = this.cache.clone();
    const wasDirty = this.dirty;
    try {
      const result = fn();
      this.commit();
      return result;
    } catch (err) {
      this.cache = before;
      this.dirty = wasDirty;
      throw err;
    }
  }
}
