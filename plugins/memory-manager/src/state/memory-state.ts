/**
 * What the memory manager tracks, in the shape of the upstream state file
 * (`memory_manager_state`): per NUMA node, a table per memory type, and per
 * container, the blocks of memory it holds.
 *
 * Sizes are bytes as JS numbers: exact up to 2^53 (8 PiB), far above any node.
 */

/** "memory", "hugepages-2Mi", "hugepages-1Gi". */
export type MemoryType = string;

export const MEMORY: MemoryType = 'memory';
export const HUGEPAGES_PREFIX = 'hugepages-';

export function isMemoryType(name: string): boolean {
  return name === MEMORY || name.startsWith(HUGEPAGES_PREFIX);
}

/** One memory type on one NUMA node. free + reserved = allocatable = total - systemReserved (- hugepages, for memory). */
export interface MemoryTable {
  total: number;
  systemReserved: number;
  allocatable: number;
  reserved: number;
  free: number;
}

export interface NUMANodeState {
  /** Blocks placed on this node; a container holding memory and hugepages here counts twice. */
  numberOfAssignments: number;
  memoryMap: Map<MemoryType, MemoryTable>;
  /**
   * The group this node belongs to: the node alone, or every node of the multi-node
   * placement it takes part in. A node is in one group at a time.
   */
  cells: number[];
}

/** NUMA node id to its state. */
export type NUMANodeMap = Map<number, NUMANodeState>;

/** Memory of one type held by a container, spread over the nodes of its affinity. */
export interface Block {
  numaAffinity: number[];
  type: MemoryType;
  size: number;
}

/** Pod UID to container name to blocks. */
export type ContainerMemoryAssignments = Map<string, Map<string, Block[]>>;

export function cloneTable(t: MemoryTable): MemoryTable {
  return { total: t.total, systemReserved: t.systemReserved, allocatable: t.allocatable, reserved: t.reserved, free: t.free };
}

export function cloneMachineState(state: NUMANodeMap): NUMANodeMap {
  const copy: NUMANodeMap = new Map();
  for (const [id, node] of state) {
    copy.set(id, {
      numberOfAssignments: node.numberOfAssignments,
      memoryMap: new Map([...node.memoryMap].map(([type, table]) => [type, cloneTable(table)])),
      cells: [...node.cells],
    });
  }
  return copy;
}

export function cloneBlocks(blocks: readonly Block[]): Block[] {
  return blocks.map((b) => ({ numaAffinity: [...b.numaAffinity], type: b.type, size: b.size }));
}

export function cloneAssignments(assignments: ContainerMemoryAssignments): ContainerMemoryAssignments {
  return new Map(
    [...assignments].map(([pod, containers]) => [pod, new Map([...containers].map(([c, blocks]) => [c, cloneBlocks(blocks)]))]),
  );
}

/** Read access to the state; policies get copies, never the live maps. */
export interface StateReader {
  machineState(): NUMANodeMap;
  memoryBlocks(podUID: string, containerName: string): Block[] | undefined;
  assignments(): ContainerMemoryAssignments;
}

export interface State extends StateReader {
  setMachineState(state: NUMANodeMap): void;
  setMemoryBlocks(podUID: string, containerName: string, blocks: readonly Block[]): void;
  deleteContainer(podUID: string, containerName: string): void;
}

/**
 * The state in memory. Every write bumps `version`, so the owner knows when to
 * checkpoint; `snapshot`/`restore` undo an operation whose checkpoint failed.
 */
export class MemoryState implements State {
  private machine: NUMANodeMap;
  private entries: ContainerMemoryAssignments;
  private writes = 0;

  constructor(machine: NUMANodeMap = new Map(), entries: ContainerMemoryAssignments = new Map()) {
    this.machine = cloneMachineState(machine);
    this.entries = cloneAssignments(entries);
  }

  get version(): number {
    return this.writes;
  }

  machineState(): NUMANodeMap {
    return cloneMachineState(this.machine);
  }

  memoryBlocks(podUID: string, containerName: string): Block[] | undefined {
    const blocks = this.entries.get(podUID)?.get(containerName);
    return blocks ? cloneBlocks(blocks) : undefined;
  }

  assignments(): ContainerMemoryAssignments {
    return cloneAssignments(this.entries);
  }

  setMachineState(state: NUMANodeMap): void {
    this.machine = cloneMachineState(state);
    this.writes++;
  }

  setMemoryBlocks(podUID: string, containerName: string, blocks: readonly Block[]): void {
    let pod = this.entries.get(podUID);
    if (!pod) this.entries.set(podUID, (pod = new Map()));
    pod.set(containerName, cloneBlocks(blocks));
    this.writes++;
  }

  deleteContainer(podUID: string, containerName: string): void {
    const pod = this.entries.get(podUID);
    if (!pod?.delete(containerName)) return;
    if (pod.size === 0) this.entries.delete(podUID);
    this.writes++;
  }

  snapshot(): { machine: NUMANodeMap; entries: ContainerMemoryAssignments } {
    return { machine: cloneMachineState(this.machine), entries: cloneAssignments(this.entries) };
  }

  restore(snapshot: { machine: NUMANodeMap; entries: ContainerMemoryAssignments }): void {
    this.machine = cloneMachineState(snapshot.machine);
    this.entries = cloneAssignments(snapshot.entries);
    this.writes++;
  }
}
