/**
 * Whether a set of NUMA nodes can take one memory request, answered from a snapshot
 * of the machine state taken once per hint calculation.
 *
 * The hint search asks this for every candidate mask (thousands per call on machines
 * with 16 or 64 nodes), and the plugin host runs without V8's optimizing compiler: so
 * the amounts and the group facts are copied into arrays indexed by node id up front,
 * each mask's node ids are read at most once (the search passes those it built), and a
 * test allocates nothing.
 */
import { maskIds, maskOf, type NUMAMask } from '@kernelet/sdk/common';

import type { MemoryType, ReadonlyNUMANodeMap } from '../state/memory-state.js';
import type { MemoryRequests } from './requested-resources.js';

/** What the pod's finished init containers leave for reuse: NUMA mask to type to bytes. */
export type ReusableByMask = ReadonlyMap<NUMAMask, ReadonlyMap<MemoryType, number>>;

/** The group of a node whose cells name no valid node ids: no mask equals it, as no set of node ids matches those cells. */
const NO_MASK = -1n;

export class RequestFit {
  private readonly types: MemoryType[] = [];
  private readonly sizes: number[] = [];
  /** Per request type (same order as the requests), node id to bytes; a node without the type has 0. */
  readonly allocatable: number[][] = [];
  readonly free: number[][] = [];
  /** Per request type, node id to the bytes both free and allocatable: what a mask surely counts on that node. */
  readonly usable: number[][] = [];
  /** Node id to true for the nodes of the machine state. */
  private readonly exists: boolean[] = [];
  /** Node id to true when the node belongs to a group of several nodes (cells). */
  private readonly grouped: boolean[] = [];
  /**
   * Node id to its group's mask, for nodes with assignments: the only mask of several
   * nodes such a node may take part in (a node holding single-node memory has a
   * one-node group, which no such mask equals); undefined for nodes without assignments.
   */
  private readonly assignedGroup: (NUMAMask | undefined)[] = [];
  private readonly anyAssigned: boolean;

  constructor(
    machineState: ReadonlyNUMANodeMap,
    requests: MemoryRequests,
    private readonly reusable: ReusableByMask | undefined,
  ) {
    for (const [type, size] of requests) {
      this.types.push(type);
      this.sizes.push(size);
      this.allocatable.push([]);
      this.free.push([]);
      this.usable.push([]);
    }
    let anyAssigned = false;
    // forEach rather than for-of: no entry array to build and take apart per node.
    machineState.forEach((node, id) => {
      this.exists[id] = true;
      this.grouped[id] = node.cells.length > 1;
      for (let t = 0; t < this.types.length; t++) {
        const table = node.memoryMap.get(this.types[t] as MemoryType);
        const allocatable = table?.allocatable ?? 0;
        const free = table?.free ?? 0;
        (this.allocatable[t] as number[])[id] = allocatable;
        (this.free[t] as number[])[id] = free;
        (this.usable[t] as number[])[id] = Math.min(free, allocatable);
      }
      if (node.numberOfAssignments !== 0) {
        anyAssigned = true;
        this.assignedGroup[id] = groupMask(node.cells);
      }
    });
    this.anyAssigned = anyAssigned;
  }

  /**
   * Every requested type adds up, over the mask's nodes, to the request in allocatable
   * memory. `ids` are the mask's node ids, when the caller has them already. A property,
   * so the search can call it without a wrapper.
   */
  readonly allocatableFits = (mask: NUMAMask, ids: readonly number[] = maskIds(mask)): boolean => {
    for (let t = 0; t < this.types.length; t++) {
      const allocatable = this.allocatable[t] as number[];
      let total = 0;
      for (let i = 0; i < ids.length; i++) total += allocatable[ids[i] as number] ?? 0;
      if (total < (this.sizes[t] as number)) return false;
    }
    return true;
  };

  /**
   * The hint test: allocatable and free memory (plus what the pod's init containers
   * left on exactly these nodes) reach the request, and the mask keeps the group rule.
   * Both amounts are added up in one pass over the mask's nodes.
   */
  readonly fits = (mask: NUMAMask, ids: readonly number[] = maskIds(mask)): boolean => {
    if (!this.keepsGroups(mask, ids)) return false;
    const reuse = this.reusable?.get(mask);
    for (let t = 0; t < this.types.length; t++) {
      const allocatable = this.allocatable[t] as number[];
      const free = this.free[t] as number[];
      let totalAllocatable = 0;
      let totalFree = 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as number;
        totalAllocatable += allocatable[id] ?? 0;
        totalFree += free[id] ?? 0;
      }
      if (reuse) totalFree += reuse.get(this.types[t] as MemoryType) ?? 0;
      const size = this.sizes[t] as number;
      if (totalAllocatable < size || totalFree < size) return false;
    }
    return true;
  };

  /**
   * The group rule for hints: every node exists; a single node must not belong to a
   * group (upstream offers a grouped node only as part of its group); and in a mask of
   * several nodes, a node with assignments must be part of exactly that group (a node
   * holding single-node memory joins none).
   */
  private keepsGroups(mask: NUMAMask, ids: readonly number[]): boolean {
    for (let i = 0; i < ids.length; i++) if (this.exists[ids[i] as number] !== true) return false;
    if (ids.length === 1) return this.grouped[ids[0] as number] !== true;
    if (!this.anyAssigned) return true;
    for (let i = 0; i < ids.length; i++) {
      const group = this.assignedGroup[ids[i] as number];
      if (group !== undefined && group !== mask) return false;
    }
    return true;
  }
}

/** The mask of a group's cells (NO_MASK when one of them is no valid node id). */
function groupMask(cells: readonly number[]): NUMAMask {
  return cells.every((id) => Number.isInteger(id) && id >= 0) ? maskOf(cells) : NO_MASK;
}
