/**
 * The Static policy: Guaranteed pods get their memory and hugepages from a fixed
 * set of NUMA nodes, as few as possible, and the container is limited to those
 * nodes (cpuset.mems).
 *
 * When a request needs more than one node, those nodes form a group: until every
 * assignment in it is gone, its nodes serve only placements on exactly that group,
 * and a node serving single-node placements joins no group. (Memory spread over a
 * group cannot be limited per node, so the group is accounted as a whole.)
 */
import {
  hintMasks,
  maskCount,
  maskIds,
  maskOf,
  narrowestFittingWidth,
  podQOSClass,
  widthRange,
  type Container,
  type MachineInfo,
  type NUMAMask,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '@kernelet/sdk/common';
import type { Logger } from 'pino';

import { POLICY_STATIC } from '../config.js';
import {
  defaultMachineState,
  formatBytes,
  placeAssignments,
  sameNodes,
  type PlacedAssignments,
  type ReservedByNode,
} from '../state/machine-state.js';
import {
  MEMORY,
  cloneNodeState,
  type Block,
  type ContainerMemoryAssignments,
  type MemoryType,
  type NUMANodeMap,
  type ReadonlyNUMANodeMap,
  type State,
  type StateReader,
} from '../state/memory-state.js';
import { AllocationError, NO_PREFERENCE, type Policy } from './policy.js';
import { RequestFit } from './request-fit.js';
import {
  RequestError,
  containerMemoryRequests,
  isRegularInitContainer,
  isRestartableInitContainer,
  podMemoryRequests,
  usesPodLevelResources,
  type MemoryRequests,
} from './requested-resources.js';

/**
 * Upstream's texts for the static policy's refusals, one per situation: the pod is rejected
 * with "Allocate failed due to <text>, which is unexpected".
 */
const REFUSALS = {
  quantityNotInt64: '[memorymanager] failed to represent quantity as int64',
  noDefaultHint: '[memorymanager] failed to get the default NUMA affinity, no NUMA nodes with enough memory is available',
  defaultHintNotPreferred: '[memorymanager] failed to find the default preferred hint',
  cannotExtendHint: '[memorymanager] failed to find NUMA nodes to extend the current topology hint',
  extendedHintNotPreferred: '[memorymanager] failed to find the extended preferred hint',
  violatesNUMAAllocation: '[memorymanager] preferred hint violates NUMA node allocation',
} as const;

export interface StaticPolicyOptions {
  machine: MachineInfo;
  /** Memory reserved for the system per node and type (reservedMemory). */
  reserved: ReservedByNode;
  featureGates: Readonly<Record<string, boolean>>;
  logger: Logger;
}

export class StaticPolicy implements Policy {
  readonly name = POLICY_STATIC;
  private readonly machine: MachineInfo;
  private readonly reserved: ReservedByNode;
  private readonly gates: Readonly<Record<string, boolean>>;
  private readonly log: Logger;
  /**
   * Memory that a pod's finished regular init containers leave for the containers
   * after them: pod UID to NUMA mask to type to bytes. Kept for the pod being
   * admitted only, and in memory only (as upstream).
   */
  private readonly reusable = new Map<string, Map<NUMAMask, Map<MemoryType, number>>>();

  constructor(options: StaticPolicyOptions) {
    this.machine = options.machine;
    this.reserved = options.reserved;
    this.gates = options.featureGates;
    this.log = options.logger;
    const systemMemory = [...this.reserved.values()].reduce((sum, node) => sum + (node.get(MEMORY) ?? 0), 0);
    if (systemMemory <= 0) throw new Error('the Static memory manager policy needs memory reserved for the system (reservedMemory)');
  }

  initialMachineState(): NUMANodeMap {
    return defaultMachineState(this.machine, this.reserved);
  }

  expectedMachineState(entries: ContainerMemoryAssignments): PlacedAssignments {
    return placeAssignments(this.initialMachineState(), entries);
  }

  topologyHints(state: StateReader, pod: Pod, container: Container): ProviderHints {
    if (!this.manages(pod)) return NO_PREFERENCE;
    const requests = this.requests(pod, () => containerMemoryRequests(pod, container, this.gates));
    if (!requests) return NO_PREFERENCE;
    const blocks = state.memoryBlocks(podUID(pod), container.name);
    if (blocks) return this.regenerateHints(pod, container.name, blocks, requests);
    return this.calculateHints(state.machineState(), pod, requests);
  }

  podTopologyHints(state: StateReader, pod: Pod): ProviderHints {
    if (!this.manages(pod)) return NO_PREFERENCE;
    const requests = this.requests(pod, () => podMemoryRequests(pod, this.gates));
    if (!requests) return NO_PREFERENCE;
    // A container that already holds memory (after a restart, say) decides for the pod.
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const blocks = state.memoryBlocks(podUID(pod), c.name);
      if (blocks) return this.regenerateHints(pod, c.name, blocks, requests);
    }
    return this.calculateHints(state.machineState(), pod, requests);
  }

  allocate(state: State, pod: Pod, container: Container, hint: TopologyHint): void {
    if (!this.manages(pod)) return;
    const uid = podUID(pod);
    const held = state.memoryBlocks(uid, container.name);
    if (held) {
      this.updatePodReusableMemory(pod, container, held);
      this.log.debug({ podUID: uid, containerName: container.name }, 'container already holds memory');
      return;
    }
    let requests: MemoryRequests;
    try {
      requests = containerMemoryRequests(pod, container, this.gates);
    } catch (err) {
      throw new AllocationError(REFUSALS.quantityNotInt64, (err as Error).message, { cause: err });
    }
    const machineState = state.machineState();
    const want = describeRequests(requests);

    let best: TopologyHint = hint;
    if (hint.numaAffinity === null) {
      const fallback = this.defaultHint(machineState, pod, requests);
      if (!fallback) throw new AllocationError(REFUSALS.noDefaultHint, `no set of NUMA nodes has room for container "${container.name}" (${want})`);
      if (!fallback.preferred && hint.preferred) {
        throw new AllocationError(
          REFUSALS.defaultHintNotPreferred,
          `a preferred placement was asked for, but the smallest set of NUMA nodes with room for container "${container.name}" ` +
            `(${nodes(fallback.numaAffinity)}) is not one`,
        );
      }
      best = fallback;
    }
    if (!satisfies(machineState, best.numaAffinity ?? 0n, requests)) {
      const wider = this.extendHint(machineState, pod, requests, best.numaAffinity ?? 0n);
      if (!wider) {
        throw new AllocationError(
          REFUSALS.cannotExtendHint,
          `NUMA nodes ${nodes(best.numaAffinity)} cannot hold container "${container.name}" (${want}), ` +
            'nor can any larger set of NUMA nodes that includes them',
        );
      }
      if (!wider.preferred && best.preferred) {
        throw new AllocationError(
          REFUSALS.extendedHintNotPreferred,
          `the preferred NUMA nodes ${nodes(best.numaAffinity)} cannot hold container "${container.name}" (${want}), ` +
            `and the set they widen to (${nodes(wider.numaAffinity)}) is not preferred`,
        );
      }
      best = wider;
    }
    const mask = best.numaAffinity ?? 0n;
    const violation = allocationViolation(machineState, mask);
    if (violation) throw new AllocationError(REFUSALS.violatesNUMAAllocation, `NUMA nodes ${nodes(mask)} cannot take container "${container.name}": ${violation}`);
    const grouped = maskCount(mask) === 1 ? machineState.get(maskIds(mask)[0] as number)?.cells : undefined;
    if (grouped && grouped.length > 1) {
      // Upstream places it there, and the node leaves its group in the machine state
      // (kubernetes#113035); a restart rebuilds the groups from the assignments.
      this.log.warn({ podUID: uid, containerName: container.name, numaNode: maskIds(mask)[0], group: grouped }, 'placing single-node memory on a node of a NUMA group, as upstream does');
    }

    const ids = maskIds(mask);
    const placed = copyNodes(machineState, ids);
    const blocks: Block[] = [];
    for (const [type, size] of requests) {
      blocks.push({ numaAffinity: [...ids], type, size });
      const reuse = this.reusableMemory(uid, mask, type);
      reserveOn(placed, ids, type, reuse >= size ? 0 : size - reuse);
    }
    this.updatePodReusableMemory(pod, container, blocks);
    state.setNodeStates(placed);
    state.setMemoryBlocks(uid, container.name, blocks);
    this.updateInitContainersMemoryBlocks(state, pod, container, blocks);
    this.log.info({ podUID: uid, containerName: container.name, numaNodes: ids, requests: want }, 'allocated exclusive memory');
  }

  removeContainer(state: State, podUID: string, containerName: string): void {
    const blocks = state.memoryBlocks(podUID, containerName);
    if (!blocks) return;
    state.deleteContainer(podUID, containerName);
    const machineState = copyNodes(state.machineState(), blocks.flatMap((b) => b.numaAffinity));
    for (const block of blocks) {
      let released = block.size;
      for (const id of block.numaAffinity) {
        const node = machineState.get(id);
        if (!node) continue;
        node.numberOfAssignments--;
        if (node.numberOfAssignments === 0) node.cells = [id];
        const table = node.memoryMap.get(block.type);
        if (released === 0 || !table || table.reserved === 0) continue;
        const give = Math.min(table.reserved, released);
        table.reserved -= give;
        table.free += give;
        released -= give;
      }
    }
    state.setNodeStates(machineState);
    this.log.info({ podUID, containerName }, 'released exclusive memory');
  }

  allocatableMemory(state: StateReader): Block[] {
    const blocks: Block[] = [];
    const machineState = state.machineState();
    for (const id of [...machineState.keys()].sort((a, b) => a - b)) {
      const node = machineState.get(id);
      for (const [type, table] of [...(node?.memoryMap ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (table.allocatable !== 0) blocks.push({ numaAffinity: [id], type, size: table.allocatable });
      }
    }
    return blocks;
  }

  /** Guaranteed pods only, and not those using pod-level resources. */
  private manages(pod: Pod): boolean {
    if (podQOSClass(pod) !== 'Guaranteed') return false;
    if (this.gates['PodLevelResources'] && usesPodLevelResources(pod)) {
      this.log.debug({ podUID: podUID(pod) }, 'pod uses pod-level resources, which the Static policy does not handle');
      return false;
    }
    return true;
  }

  private requests(pod: Pod, compute: () => MemoryRequests): MemoryRequests | undefined {
    try {
      return compute();
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      this.log.warn({ podUID: podUID(pod), err }, 'cannot read the memory requests; giving no hints');
      return undefined;
    }
  }

  /** The hints a container got when it was placed: exactly what it holds, preferred. */
  private regenerateHints(pod: Pod, containerName: string, blocks: readonly Block[], requests: MemoryRequests): ProviderHints {
    const fields = { podUID: podUID(pod), containerName };
    if (blocks.length !== requests.size) {
      this.log.info({ ...fields, blocks: blocks.length, requested: requests.size }, 'memory held differs in types from the request; no hints');
      return NO_PREFERENCE;
    }
    const hints = new Map<string, TopologyHint[]>([...requests.keys()].map((type) => [type, []]));
    for (const block of blocks) {
      if (requests.get(block.type) !== block.size) {
        this.log.info({ ...fields, type: block.type, requested: requests.get(block.type), allocated: block.size }, 'memory held differs in size from the request; no hints');
        return NO_PREFERENCE;
      }
      hints.get(block.type)?.push({ numaAffinity: maskOf(block.numaAffinity), preferred: true });
    }
    this.log.debug(fields, 'regenerated hints from memory already held');
    return hints;
  }

  /**
   * Every set of NUMA nodes with room for the request, smallest first; preferred are
   * the sets of the smallest size that could hold the request at all. Sets that would
   * break a group are left out. Nothing fits: no hints at all (no preference), as upstream.
   *
   * Up to 12 NUMA nodes every set is examined, as upstream. On larger machines the
   * sets are searched by width and at most HINT_MASK_BUDGET offered (see hintMasks):
   * every fitting set of the narrowest fitting width when they are not more, wider
   * ones while they fit in the budget, and all nodes. Sets of several nodes are built
   * from nodes without assignments, plus the existing groups: no other set of several
   * nodes can pass the group rule. `required` keeps only sets that hold those nodes.
   */
  private calculateHints(machineState: ReadonlyNUMANodeMap, pod: Pod, requests: MemoryRequests, required: NUMAMask = 0n): Map<string, TopologyHint[]> {
    const ids = [...machineState.keys()].sort((a, b) => a - b);
    const uid = podUID(pod);
    const types = [...requests.keys()];
    // Per type and node, in the order of the requests: the amounts the capacity bounds read.
    const requestFit = new RequestFit(machineState, requests, this.reusable.get(uid));
    const { allocatableFits, fits } = requestFit;
    const needs = (reuse: boolean): number[] =>
      types.map((type) => (requests.get(type) ?? 0) - (reuse ? this.mostReusableMemory(uid, type) : 0));

    const minSize = narrowestFittingWidth(ids, allocatableFits, { offers: requestFit.allocatable, needs: needs(false) }) ?? ids.length;
    const groups = new Map<string, NUMAMask>();
    for (const node of machineState.values()) {
      if (node.numberOfAssignments > 0 && node.cells.length > 1) groups.set([...node.cells].sort((a, b) => a - b).join(','), maskOf(node.cells));
    }
    const fitting = hintMasks({
      ids,
      fits,
      required,
      capacity: { offers: requestFit.free, needs: needs(true) },
      multiNodeIds: ids.filter((id) => machineState.get(id)?.numberOfAssignments === 0),
      extraMasks: [...groups.values()],
      // Nodes without assignments pass the group rule together; reaching the request with
      // memory both free and allocatable on them passes the rest (reused memory only adds).
      sufficientCapacity: { offers: requestFit.usable, needs: needs(false) },
    });
    const hints = new Map<string, TopologyHint[]>();
    if (fitting.length === 0) return hints;
    // The masks come narrowest first: those of the minimal width are one run.
    const minimal = widthRange(fitting, minSize);
    for (const type of types) {
      hints.set(
        type,
        fitting.map((mask, i) => ({ numaAffinity: mask, preferred: i >= minimal.start && i < minimal.end })),
      );
    }
    return hints;
  }

  /** Where to place a container the topology manager gave no NUMA affinity. */
  private defaultHint(machineState: ReadonlyNUMANodeMap, pod: Pod, requests: MemoryRequests): TopologyHint | undefined {
    const hints = this.calculateHints(machineState, pod, requests);
    return bestHint(hints.get(MEMORY) ?? [...hints.values()][0] ?? []);
  }

  /** The best hint that includes the given nodes (the topology manager may narrow a hint below what fits). */
  private extendHint(machineState: ReadonlyNUMANodeMap, pod: Pod, requests: MemoryRequests, mask: NUMAMask): TopologyHint | undefined {
    const hints = this.calculateHints(machineState, pod, requests, mask);
    const candidates = (hints.get(MEMORY) ?? [...hints.values()][0] ?? []).filter((h) => ((h.numaAffinity ?? 0n) & mask) === mask);
    return bestHint(candidates);
  }

  private reusableMemory(uid: string, mask: NUMAMask, type: MemoryType): number {
    return this.reusable.get(uid)?.get(mask)?.get(type) ?? 0;
  }

  /** The most memory of this type the pod's init containers leave on any one set of nodes. */
  private mostReusableMemory(uid: string, type: MemoryType): number {
    let most = 0;
    for (const byType of this.reusable.get(uid)?.values() ?? []) most = Math.max(most, byType.get(type) ?? 0);
    return most;
  }

  /**
   * A regular init container's memory is free again once it finishes, so later
   * containers of the same pod on the same nodes may take it instead of new memory.
   */
  private updatePodReusableMemory(pod: Pod, container: Container, blocks: readonly Block[]): void {
    const uid = podUID(pod);
    for (const other of [...this.reusable.keys()]) if (other !== uid) this.reusable.delete(other);
    if (isRegularInitContainer(pod, container.name)) {
      let byMask = this.reusable.get(uid);
      if (!byMask) this.reusable.set(uid, (byMask = new Map()));
      for (const block of blocks) {
        const mask = maskOf(block.numaAffinity);
        let byType = byMask.get(mask);
        if (!byType) byMask.set(mask, (byType = new Map()));
        byType.set(block.type, Math.max(byType.get(block.type) ?? 0, block.size));
      }
      return;
    }
    for (const block of blocks) {
      const mask = maskOf(block.numaAffinity);
      const reuse = this.reusableMemory(uid, mask, block.type);
      if (reuse !== 0) this.reusable.get(uid)?.get(mask)?.set(block.type, block.size >= reuse ? 0 : reuse - block.size);
    }
  }

  /**
   * Shrinks the blocks of earlier regular init containers by what this container
   * reused of them, so the blocks of a pod always add up to the memory it holds.
   */
  private updateInitContainersMemoryBlocks(state: State, pod: Pod, container: Container, blocks: readonly Block[]): void {
    const uid = podUID(pod);
    for (const block of blocks) {
      let left = block.size;
      for (const init of pod.spec?.initContainers ?? []) {
        if (init.name === container.name || left === 0) break;
        if (isRestartableInitContainer(init)) continue;
        const initBlocks = state.memoryBlocks(uid, init.name);
        if (!initBlocks || initBlocks.length === 0) continue;
        for (const initBlock of initBlocks) {
          if (initBlock.size === 0 || initBlock.type !== block.type || !sameNodes(initBlock.numaAffinity, block.numaAffinity)) continue;
          const take = Math.min(initBlock.size, left);
          initBlock.size -= take;
          left -= take;
        }
        state.setMemoryBlocks(uid, init.name, initBlocks);
      }
    }
  }
}

export function podUID(pod: Pod): string {
  return pod.metadata?.uid ?? '';
}

/**
 * Why allocating on these nodes would break the group rule, or undefined: upstream's
 * isAffinityViolatingNUMAAllocations. A node holding single-node memory joins no group,
 * and a node of a group takes memory spread over that group only; memory on a single
 * node never violates it, even on a node of a group (the topology manager can narrow a
 * group's hint down to one of its nodes, and upstream then places the memory there).
 */
function allocationViolation(machineState: ReadonlyNUMANodeMap, mask: NUMAMask): string | undefined {
  const ids = maskIds(mask);
  for (const id of ids) if (!machineState.has(id)) return `NUMA node ${id} does not exist`;
  if (ids.length === 1) return undefined;
  for (const id of ids) {
    const node = machineState.get(id);
    if (!node || node.numberOfAssignments === 0) continue;
    if (node.cells.length === 1) return `NUMA node ${id} holds single-node memory assignments`;
    if (!sameNodes(node.cells, ids)) return `NUMA node ${id} is part of the group [${node.cells.join(',')}]`;
  }
  return undefined;
}

/** Copies of the states of these nodes (those that exist), for an operation to change and write back. */
function copyNodes(machineState: ReadonlyNUMANodeMap, ids: readonly number[]): NUMANodeMap {
  const copies: NUMANodeMap = new Map();
  for (const id of ids) {
    const node = machineState.get(id);
    if (node && !copies.has(id)) copies.set(id, cloneNodeState(node));
  }
  return copies;
}

/** Takes memory from the nodes in order: numberOfAssignments and the group are set on every node. */
function reserveOn(machineState: NUMANodeMap, ids: readonly number[], type: MemoryType, size: number): void {
  let left = size;
  for (const id of ids) {
    const node = machineState.get(id);
    if (!node) continue;
    node.numberOfAssignments++;
    node.cells = [...ids];
    const table = node.memoryMap.get(type);
    if (left === 0 || !table || table.free === 0) continue;
    const take = Math.min(table.free, left);
    table.free -= take;
    table.reserved += take;
    left -= take;
  }
}

function satisfies(machineState: ReadonlyNUMANodeMap, mask: NUMAMask, requests: MemoryRequests): boolean {
  const ids = maskIds(mask);
  return [...requests].every(([type, size]) => sum(machineState, ids, type, 'free') >= size);
}

function sum(machineState: ReadonlyNUMANodeMap, ids: readonly number[], type: MemoryType, field: 'free' | 'allocatable'): number {
  return ids.reduce((total, id) => total + (machineState.get(id)?.memoryMap.get(type)?.[field] ?? 0), 0);
}

/** Preferred before not; then fewer nodes; then lower-numbered nodes. */
function bestHint(hints: readonly TopologyHint[]): TopologyHint | undefined {
  let best: TopologyHint | undefined;
  for (const hint of hints) {
    if (!best || (hint.preferred && !best.preferred) || (hint.preferred === best.preferred && narrower(hint.numaAffinity ?? 0n, best.numaAffinity ?? 0n))) {
      best = hint;
    }
  }
  return best;
}

function narrower(a: NUMAMask, b: NUMAMask): boolean {
  const ca = maskCount(a);
  const cb = maskCount(b);
  return ca === cb ? a < b : ca < cb;
}

function nodes(mask: NUMAMask | null): string {
  return mask === null ? 'any' : maskIds(mask).join(',');
}

function describeRequests(requests: MemoryRequests): string {
  return [...requests].map(([type, size]) => `${type} ${formatBytes(size)}`).join(', ');
}
