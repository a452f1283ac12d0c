import { CPUSet } from '@kernelet/sdk/common';

/** Pod UID to container name to the CPUs assigned to it exclusively. */
export type ContainerCPUAssignments = ReadonlyMap<string, ReadonlyMap<string, CPUSet>>;

/** What a policy reads: the shared pool ("default set") and the exclusive assignments. */
export interface StateReader {
  defaultCPUSet(): CPUSet;
  getCPUSet(podUID: string, containerName: string): CPUSet | undefined;
  /** The container's exclusive CPUs, or the shared pool when it has none. */
  getCPUSetOrDefault(podUID: string, containerName: string): CPUSet;
  assignments(): ContainerCPUAssignments;
}

/** What a policy changes. Changes become durable when the manager commits them. */
export interface State extends StateReader {
  setDefaultCPUSet(cpus: CPUSet): void;
  setCPUSet(podUID: string, containerName: string, cpus: CPUSet): void;
  delete(podUID: string, containerName: string): void;
  /** Empties the shared pool and drops every assignment. */
  clear(): void;
}

/** State kept in memory only. */
export class MemoryState implements State {
  private defaultSet: CPUSet;
  private readonly entries = new Map<string, Map<string, CPUSet>>();

  constructor(defaultCPUSet: CPUSet = CPUSet.EMPTY, assignments?: ContainerCPUAssignments) {
    this.defaultSet = defaultCPUSet;
    for (const [pod, containers] of assignments ?? []) this.entries.set(pod, new Map(containers));
  }

  defaultCPUSet(): CPUSet {
    return this.defaultSet;
  }

  getCPUSet(podUID: string, containerName: string): CPUSet | undefined {
    return this.entries.get(podUID)?.get(containerName);
  }

  getCPUSetOrDefault(podUID: string, containerName: string): CPUSet {
    return this.getCPUSet(podUID, containerName) ?? this.defaultSet;
  }

  assignments(): ContainerCPUAssignments {
    return this.entries;
  }

  setDefaultCPUSet(cpus: CPUSet): void {
    this.defaultSet = cpus;
  }

  setCPUSet(podUID: string, containerName: string, cpus: CPUSet): void {
    const containers = this.entries.get(podUID);
    if (containers) containers.set(containerName, cpus);
    else this.entries.set(podUID, new Map([[containerName, cpus]]));
  }

  delete(podUID: string, containerName: string): void {
    const containers = this.entries.get(podUID);
    if (!containers) return;
    containers.delete(containerName);
    if (containers.size === 0) this.entries.delete(podUID);
  }

  clear(): void {
    this.defaultSet = CPUSet.EMPTY;
    this.entries.clear();
  }

  /** A deep copy (CPU sets are immutable and shared). */
  clone(): MemoryState {
    return new MemoryState(this.defaultSet, this.entries);
  }
}

/** Every CPU assigned exclusively to some container. */
export function assignedCPUs(assignments: ContainerCPUAssignments): CPUSet {
  const sets: CPUSet[] = [];
  for (const containers of assignments.values()) sets.push(...containers.values());
  return CPUSet.EMPTY.union(...sets);
}

/** Pod UIDs holding at least one exclusive CPU, sorted. */
export function podsWithExclusiveCPUs(assignments: ContainerCPUAssignments): string[] {
  return [...assignments]
    .filter(([, containers]) => [...containers.values()].some((cpus) => !cpus.isEmpty()))
    .map(([pod]) => pod)
    .sort();
}
