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

export interface ReadonlyNUMANodeState {
  readonly numberOfAssignments: number;
  readonly memoryMap: ReadonlyMap<MemoryType, Readonly<MemoryTable>>;
  readonly cells: readonly number[];
}

export type ReadonlyNUMANodeMap = ReadonlyMap<number, ReadonlyNUMANodeState>;

/** Memory of one type held by a container, spread over the nodes of its affinity. */
export interface Block {
  numaAffinity: number[];
  type: MemoryType;
  size: number;
}

export interface ReadonlyBlock {
  readonly numaAffinity: readonly number[];
  readonly type: MemoryType;
  readonly size: number;
}

/** Pod UID to container name to blocks. */
export type ContainerMemoryAssignments = Map<string, Map<string, Block[]>>;

export type ReadonlyContainerMemoryAssignments = ReadonlyMap<string, ReadonlyMap<string, readonly ReadonlyBlock[]>>;

export function cloneTable(t: Readonly<MemoryTable>): MemoryTable {
  return { total: t.total, systemReserved: t.systemReserved, allocatable: t.allocatable, reserved: t.reserved, free: t.free };
}

export function cloneNodeState(node: ReadonlyNUMANodeState): NUMANodeState {
  const memoryMap = new Map<MemoryType, MemoryTable>();
  node.memoryMap.forEach((table, type) => memoryMap.set(type, cloneTable(table)));
  return { numberOfAssignments: node.numberOfAssignments, memoryMap, cells: [...node.cells] };
}

export function cloneMachineState(state: ReadonlyNUMANodeMap): NUMANodeMap {
  const copy: NUMANodeMap = new Map();
  state.forEach((node, id) => copy.set(id, cloneNodeState(node)));
  return copy;
}

export function cloneBlocks(blocks: readonly ReadonlyBlock[]): Block[] {
  return blocks.map((b) => ({ numaAffinity: [...b.numaAffinity], type: b.type, size: b.size }));
}

export function cloneAssignments(assignments: ReadonlyContainerMemoryAssignments): ContainerMemoryAssignments {
  return new Map(
    [...assignments].map(([pod, containers]) => [pod, new Map([...containers].map(([c, blocks]) => [c, cloneBlocks(blocks)]))]),
  );
}

/**
 * Read access to the state. The machine state and the assignments are the live ones,
 * read-only, and they change with the next write: a policy copies what it changes (see
 * State.setNodeStates), so a read costs nothing however many NUMA nodes there are.
 * Blocks come as copies.
 */
export interface StateReader {
  machineState(): ReadonlyNUMANodeMap;
  memoryBlocks(podUID: string, containerName: string): Block[] | undefined;
  assignments(): ReadonlyContainerMemoryAssignments;
}

/** Writes keep copies of what they are given. */
export interface State extends StateReader {
  /** Replaces the state of the given nodes, leaving the others as they are. */
  setNodeStates(nodes: ReadonlyNUMANodeMap): void;
  setMemoryBlocks(podUID: string, containerName: string, blocks: readonly ReadonlyBlock[]): void;
  deleteContainer(podUID: string, containerName: string): void;
}

/**
 * The state in memory. Every write bumps `version`, so the owner knows when to
 * checkpoint.
 *
 * An operation whose checkpoint fails is undone: between `recordUndo` and
 * `forgetUndo`, each write remembers what it replaced, and `undo` puts it back. Writes
 * replace node states and block lists whole and never edit the stored ones, so what
 * they replaced is kept by reference: undoing an allocation costs the one or two
 * nodes it touched, not a copy of the whole machine.
 */
export class MemoryState implements State {
  private machine: NUMANodeMap;
  private entries: ContainerMemoryAssignments;
  private writes = 0;
  /** Undo steps of the writes since recordUndo, oldest first; undefined when not recording. */
  private undoSteps: (() => void)[] | undefined;

  constructor(machine: ReadonlyNUMANodeMap = new Map(), entries: ReadonlyContainerMemoryAssignments = new Map()) {
    this.machine = cloneMachineState(machine);
    this.entries = cloneAssignments(entries);
  }

  get version(): number {
    return this.writes;
  }

  machineState(): ReadonlyNUMANodeMap {
    return this.machine;
  }

  memoryBlocks(podUID: string, containerName: string): Block[] | undefined {
    const blocks = this.entries.get(podUID)?.get(containerName);
    return blocks ? cloneBlocks(blocks) : undefined;
  }

  assignments(): ReadonlyContainerMemoryAssignments {
    return this.entries;
  }

  setNodeStates(nodes: ReadonlyNUMANodeMap): void {
    nodes.forEach((node, id) => {
      const replaced = this.machine.get(id);
      this.remember(() => (replaced ? this.machine.set(id, replaced) : this.machine.delete(id)));
      this.machine.set(id, cloneNodeState(node));
    });
    this.writes++;
  }

  setMemoryBlocks(podUID: string, containerName: string, blocks: readonly ReadonlyBlock[]): void {
    this.rememberContainer(podUID, containerName);
    let pod = this.entries.get(podUID);
    if (!pod) this.entries.set(podUID, (pod = new Map()));
    pod.set(containerName, cloneBlocks(blocks));
    this.writes++;
  }

  deleteContainer(podUID: string, containerName: string): void {
    const pod = this.entries.get(podUID);
    if (!pod?.has(containerName)) return;
    this.rememberContainer(podUID, containerName);
    pod.delete(containerName);
    if (pod.size === 0) this.entries.delete(podUID);
    this.writes++;
  }

  /** Replaces the whole state (with copies); not undoable. */
  restore(snapshot: { machine: ReadonlyNUMANodeMap; entries: ReadonlyContainerMemoryAssignments }): void {
    this.machine = cloneMachineState(snapshot.machine);
    this.entries = cloneAssignments(snapshot.entries);
    this.writes++;
  }

  /** From now on, remember what each write replaces (see undo). */
  recordUndo(): void {
    this.undoSteps = [];
  }

  /** Puts back what the writes since recordUndo replaced, newest first, and stops recording. */
  undo(): void {
    const steps = this.undoSteps ?? [];
    this.undoSteps = undefined;
    for (let i = steps.length - 1; i >= 0; i--) (steps[i] as () => void)();
    this.writes++;
  }

  /** Stops recording; the writes stay. */
  forgetUndo(): void {
    this.undoSteps = undefined;
  }

  private remember(step: () => void): void {
    this.undoSteps?.push(step);
  }

  /** What a container holds now (nothing, or its blocks, which are never edited), to put back. */
  private rememberContainer(podUID: string, containerName: string): void {
    if (!this.undoSteps) return;
    const held = this.entries.get(podUID)?.get(containerName);
    this.remember(() => {
      let pod = this.entries.get(podUID);
      if (held) {
        if (!pod) this.entries.set(podUID, (pod = new Map()));
        pod.set(containerName, held);
        return;
      }
      pod?.delete(containerName);
      if (pod?.size === 0) this.entries.delete(podUID);
    });
  }
}
