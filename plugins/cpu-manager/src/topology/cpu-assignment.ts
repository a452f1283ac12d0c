/**
 * Topology-aware best-fit choice of CPUs, the kubelet's takeByTopology family:
 *
 * - packed: whole NUMA nodes and sockets first (the larger unit first), then whole
 *   physical cores, then single threads, always filling the most used unit first
 *   (units are ordered by how few free CPUs they have, then by id);
 * - spread (distribute-cpus-across-cores): the same, except that whole cores are
 *   never taken and single threads are taken socket by socket in id order, so
 *   consecutive picks land on different cores;
 * - NUMA-distributed (distribute-cpus-across-numa): when more than one NUMA node is
 *   needed, an even share from each of the fewest NUMA nodes that can hold the
 *   request, the remainder placed where it keeps free CPUs most balanced.
 *
 * Pure functions over a CPUTopology; nothing here knows about pods or state.
 */
import { CPUSet } from '@kernelet/sdk/common';
import type { CPUTopology } from './cpu-topology.js';

export type CPUSortingStrategy = 'packed' | 'spread';

/** The request cannot be met from the CPUs offered. */
export class CPUAllocationError extends Error {
  override readonly name = 'CPUAllocationError';
}

/** Free CPUs grouped by unit, captured at one moment of an allocation. */
interface FreeIndex {
  byNUMA: Map<number, number[]>;
  bySocket: Map<number, number[]>;
  byCore: Map<number, number[]>;
}

/**
 * Accumulates CPUs for one request. `free` is what may still be taken; `needed`
 * what is still missing (negative once more than asked was taken).
 */
class CPUAccumulator {
  readonly result: number[] = [];
  needed: number;
  private freeCount = 0;
  private readonly free: Uint8Array;
  /** NUMA nodes above sockets in the hierarchy: each NUMA node holds one or more sockets. */
  private readonly numaFirst: boolean;

  constructor(
    readonly topo: CPUTopology,
    available: Iterable<number>,
    numCPUs: number,
    private readonly strategy: CPUSortingStrategy,
  ) {
    this.free = new Uint8Array(topo.idLimit);
    for (const cpu of available) {
      if (topo.has(cpu) && this.free[cpu] === 0) {
        this.free[cpu] = 1;
        this.freeCount++;
      }
    }
    this.needed = numCPUs;
    this.numaFirst = topo.numSockets >= topo.numNUMANodes;
  }

  isSatisfied(): boolean {
    return this.needed < 1;
  }

  isFailed(): boolean {
    return this.needed > this.freeCount;
  }

  needsAtLeast(n: number): boolean {
    return this.needed >= n;
  }

  take(cpus: readonly number[]): void {
    for (const cpu of cpus) {
      if (this.free[cpu] === 1) {
        this.free[cpu] = 0;
        this.freeCount--;
      }
      this.result.push(cpu);
    }
    this.needed -= cpus.length;
  }

  /** Free CPUs, ascending. */
  freeCPUs(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.free.length; cpu++) if (this.free[cpu] === 1) out.push(cpu);
    return out;
  }

  freeIn(cpus: readonly number[]): number[] {
    return cpus.filter((cpu) => this.free[cpu] === 1);
  }

  private index(): FreeIndex {
    const idx: FreeIndex = { byNUMA: new Map(), bySocket: new Map(), byCore: new Map() };
    for (const cpu of this.freeCPUs()) {
      const info = this.topo.info(cpu);
      add(idx.byNUMA, info.numa, cpu);
      add(idx.bySocket, info.socket, cpu);
      add(idx.byCore, info.core, cpu);
    }
    return idx;
  }

  /** NUMA nodes with a free CPU, in the order whole nodes and their CPUs are taken. */
  sortAvailableNUMANodes(idx = this.index()): number[] {
    if (this.numaFirst) return sortByFree([...idx.byNUMA.keys()], idx.byNUMA);
    const out: number[] = [];
    for (const socket of this.sortAvailableSockets(idx)) {
      const numas = unitsOf(idx.bySocket.get(socket) ?? [], (cpu) => this.topo.info(cpu).numa);
      out.push(...sortByFree(numas, idx.byNUMA));
    }
    return out;
  }

  sortAvailableSockets(idx = this.index()): number[] {
    if (!this.numaFirst) return sortByFree([...idx.bySocket.keys()], idx.bySocket);
    const out: number[] = [];
    for (const numa of this.sortAvailableNUMANodes(idx)) {
      const sockets = unitsOf(idx.byNUMA.get(numa) ?? [], (cpu) => this.topo.info(cpu).socket);
      out.push(...sortByFree(sockets, idx.bySocket));
    }
    return out;
  }

  sortAvailableCores(idx = this.index()): number[] {
    const out: number[] = [];
    const parents = this.numaFirst ? this.sortAvailableSockets(idx) : this.sortAvailableNUMANodes(idx);
    const parentCPUs = this.numaFirst ? idx.bySocket : idx.byNUMA;
    for (const parent of parents) {
      const cores = unitsOf(parentCPUs.get(parent) ?? [], (cpu) => this.topo.info(cpu).core);
      out.push(...sortByFree(cores, idx.byCore));
    }
    return out;
  }

  /** Every free CPU in the order single threads are taken. */
  sortAvailableCPUs(): number[] {
    const idx = this.index();
    const out: number[] = [];
    if (this.strategy === 'spread') {
      for (const socket of this.sortAvailableSockets(idx)) out.push(...(idx.bySocket.get(socket) ?? []));
    } else {
      for (const core of this.sortAvailableCores(idx)) out.push(...(idx.byCore.get(core) ?? []));
    }
    return out;
  }

  /** Units whose CPUs are all free, in taking order. */
  freeNUMANodes(): number[] {
    const idx = this.index();
    return this.sortAvailableNUMANodes(idx).filter((n) => idx.byNUMA.get(n)?.length === this.topo.cpusInNUMANode(n).length);
  }

  freeSockets(): number[] {
    const idx = this.index();
    return this.sortAvailableSockets(idx).filter((s) => idx.bySocket.get(s)?.length === this.topo.cpusInSocket(s).length);
  }

  freeCores(): number[] {
    const idx = this.index();
    return this.sortAvailableCores(idx).filter((c) => idx.byCore.get(c)?.length === this.topo.cpusInCore(c).length);
  }

  takeFullNUMANodes(): void {
    for (const numa of this.freeNUMANodes()) {
      const cpus = this.topo.cpusInNUMANode(numa);
      if (!this.needsAtLeast(cpus.length)) continue;
      this.take(cpus);
    }
  }

  takeFullSockets(): void {
    for (const socket of this.freeSockets()) {
      const cpus = this.topo.cpusInSocket(socket);
      if (!this.needsAtLeast(cpus.length)) continue;
      this.take(cpus);
    }
  }

  takeFullFirstLevel(): void {
    if (this.numaFirst) this.takeFullNUMANodes();
    else this.takeFullSockets();
  }

  takeFullSecondLevel(): void {
    if (this.numaFirst) this.takeFullSockets();
    else this.takeFullNUMANodes();
  }

  takeFullCores(): void {
    for (const core of this.freeCores()) {
      const cpus = this.topo.cpusInCore(core);
      if (!this.needsAtLeast(cpus.length)) continue;
      this.take(cpus);
    }
  }

  takeRemainingCPUs(): void {
    for (const cpu of this.sortAvailableCPUs()) {
      this.take([cpu]);
      if (this.isSatisfied()) return;
    }
  }

  /**
   * The fewest and most NUMA nodes that could hold what is still needed, when CPUs
   * are handed out in groups of `groupSize`.
   */
  rangeNUMANodesNeeded(groupSize: number): { min: number; max: number } {
    const numNUMANodes = this.topo.numNUMANodes;
    const numNUMANodesAvailable = this.index().byNUMA.size;
    const numCPUGroups = Math.floor((this.topo.numCPUs - 1) / groupSize) + 1;
    const groupsPerNUMANode = Math.floor((numCPUGroups - 1) / numNUMANodes) + 1;
    const groupsNeeded = Math.floor((this.needed - 1) / groupSize) + 1;
    return {
      min: Math.floor((groupsNeeded - 1) / groupsPerNUMANode) + 1,
      max: Math.min(groupsNeeded, numNUMANodesAvailable),
    };
  }

  resultSet(): CPUSet {
    return CPUSet.from(this.result);
  }
}

/** The order in which an allocation from `available` would consider units (for logs and tests). */
export interface FreeUnits {
  /** NUMA nodes, sockets and cores whose CPUs are all free, in taking order. */
  numaNodes: number[];
  sockets: number[];
  cores: number[];
  /** Every free CPU, in the order single threads are taken. */
  cpus: number[];
}

export function describeFreeUnits(topo: CPUTopology, available: CPUSet, strategy: CPUSortingStrategy = 'packed'): FreeUnits {
  const acc = new CPUAccumulator(topo, available, 0, strategy);
  return { numaNodes: acc.freeNUMANodes(), sockets: acc.freeSockets(), cores: acc.freeCores(), cpus: acc.sortAvailableCPUs() };
}

function add(map: Map<number, number[]>, key: number, cpu: number): void {
  const list = map.get(key);
  if (list) list.push(cpu);
  else map.set(key, [cpu]);
}

/** Distinct units of the given CPUs. */
function unitsOf(cpus: readonly number[], unit: (cpu: number) => number): number[] {
  return [...new Set(cpus.map(unit))];
}

/** Ascending by number of free CPUs, then by id. */
function sortByFree(ids: number[], free: Map<number, number[]>): number[] {
  return ids.sort((a, b) => (free.get(a)?.length ?? 0) - (free.get(b)?.length ?? 0) || a - b);
}

function notEnough(numCPUs: number, available: CPUSet): CPUAllocationError {
  return new CPUAllocationError(`not enough cpus available to satisfy request: requested=${numCPUs}, available=${available.size}`);
}

/**
 * Takes `numCPUs` CPUs from `available`, packing them onto as few NUMA nodes,
 * sockets and cores as possible (see the file comment). Throws CPUAllocationError
 * when `available` holds fewer CPUs than asked.
 */
export function takeByTopologyNUMAPacked(
  topo: CPUTopology,
  available: CPUSet,
  numCPUs: number,
  strategy: CPUSortingStrategy = 'packed',
): CPUSet {
  const acc = new CPUAccumulator(topo, available, numCPUs, strategy);
  if (acc.isSatisfied()) return CPUSet.EMPTY;
  if (acc.isFailed()) throw notEnough(numCPUs, available);

  acc.takeFullFirstLevel();
  if (acc.isSatisfied()) return acc.resultSet();
  acc.takeFullSecondLevel();
  if (acc.isSatisfied()) return acc.resultSet();

  if (strategy !== 'spread') {
    acc.takeFullCores();
    if (acc.isSatisfied()) return acc.resultSet();
  }

  acc.takeRemainingCPUs();
  if (acc.isSatisfied()) return acc.resultSet();
  throw new CPUAllocationError('failed to allocate cpus');
}

/**
 * Takes `numCPUs` CPUs from `available`, spread evenly over the fewest NUMA nodes
 * that can hold them, in groups of `groupSize` CPUs (2 keeps hyperthread siblings
 * together). Falls back to packing when no even spread exists or the request is
 * not a multiple of the group size.
 */
export function takeByTopologyNUMADistributed(
  topo: CPUTopology,
  available: CPUSet,
  numCPUs: number,
  groupSize: number,
  strategy: CPUSortingStrategy = 'packed',
): CPUSet {
  if (numCPUs % groupSize !== 0) return takeByTopologyNUMAPacked(topo, available, numCPUs, strategy);

  const acc = new CPUAccumulator(topo, available, numCPUs, strategy);
  if (acc.isSatisfied()) return CPUSet.EMPTY;
  if (acc.isFailed()) throw notEnough(numCPUs, available);

  const numas = acc.sortAvailableNUMANodes();
  const freeOf = (numa: number): number[] => acc.freeIn(topo.cpusInNUMANode(numa));
  const { min, max } = acc.rangeNUMANodesNeeded(groupSize);

  for (let k = min; k <= max; k++) {
    let bestBalance = Number.MAX_VALUE;
    let bestCombo: number[] | undefined;
    let bestRemainder: number[] = [];

    forEachCombination(numas, k, (combo) => {
      if (bestBalance === 0) return false;

      // The combination must hold the request, in whole groups.
      const freeCounts = combo.map((n) => freeOf(n).length);
      if (sum(freeCounts) < numCPUs) return true;
      if (sum(freeCounts.map((c) => Math.floor(c / groupSize))) * groupSize < numCPUs) return true;

      // Each NUMA node of it must take an even share.
      const share = Math.floor(Math.floor(numCPUs / combo.length) / groupSize) * groupSize;
      if (freeCounts.some((c) => c < share)) return true;

      const after = new Map<number, number>(numas.map((n) => [n, freeOf(n).length]));
      for (const n of combo) after.set(n, (after.get(n) as number) - share);
      const remainder = numCPUs - share * combo.length;
      const remainderCandidates = combo.filter((n) => (after.get(n) as number) >= groupSize);

      let localBalance = Number.MAX_VALUE;
      let localRemainder: number[] = [];
      if (remainder === 0) localBalance = standardDeviation([...after.values()]);

      // Hand the remainder out in groups over as many NUMA nodes as possible,
      // keeping the free CPUs left on every NUMA node as even as possible.
      for (let size = remainderCandidates.length; remainder > 0 && size >= 1; size--) {
        forEachCombination(remainderCandidates, size, (subset) => {
          const left = new Map(after);
          if (sum(subset.map((n) => left.get(n) as number)) < remainder) return true;
          if (!spreadRemainder(left, subset, remainder, groupSize)) return true;
          const balance = standardDeviation([...left.values()]);
          if (balance < localBalance) {
            localBalance = balance;
            localRemainder = subset;
          }
          return true;
        });
      }

      if (localBalance < bestBalance) {
        bestBalance = localBalance;
        bestRemainder = localRemainder;
        bestCombo = combo;
      }
      return true;
    });

    if (!bestCombo) continue;

    const share = Math.floor(Math.floor(numCPUs / bestCombo.length) / groupSize) * groupSize;
    for (const numa of bestCombo) {
      acc.take(takeByTopologyNUMAPacked(topo, CPUSet.from(freeOf(numa)), share, strategy).toArray());
    }
    let remainder = numCPUs - share * bestCombo.length;
    while (remainder > 0) {
      let progressed = false;
      for (const numa of bestRemainder) {
        if (remainder === 0) break;
        const free = freeOf(numa);
        if (free.length < groupSize) continue;
        acc.take(takeByTopologyNUMAPacked(topo, CPUSet.from(free), groupSize, strategy).toArray());
        remainder -= groupSize;
        progressed = true;
      }
      if (!progressed) break;
    }

    if (acc.needed > 0) throw new CPUAllocationError(`accounting error, not enough CPUs allocated, remaining: ${acc.needed}`);
    if (acc.needed < 0) throw new CPUAllocationError(`accounting error, too many CPUs allocated, remaining: ${acc.needed}`);
    return acc.resultSet();
  }

  return takeByTopologyNUMAPacked(topo, available, numCPUs, strategy);
}

/**
 * Takes `remainder` CPUs in groups from the NUMA nodes of `subset`, round robin,
 * updating `left`. Answers false when the groups cannot be placed; upstream loops
 * forever there (every node under one group while CPUs are still owed).
 */
function spreadRemainder(left: Map<number, number>, subset: readonly number[], remainder: number, groupSize: number): boolean {
  while (remainder > 0) {
    let progressed = false;
    for (const n of subset) {
      if (remainder === 0) break;
      const free = left.get(n) as number;
      if (free < groupSize) continue;
      left.set(n, free - groupSize);
      remainder -= groupSize;
      progressed = true;
    }
    if (!progressed) return false;
  }
  return true;
}

/**
 * Calls fn with every k-element subset of items, in lexicographic order of
 * positions; stops when fn answers false.
 */
export function forEachCombination<T>(items: readonly T[], k: number, fn: (combo: T[]) => boolean): void {
  if (k < 1 || k > items.length) return;
  const picked: T[] = [];
  const visit = (start: number): boolean => {
    if (picked.length === k) return fn([...picked]);
    for (let i = start; i <= items.length - (k - picked.length); i++) {
      picked.push(items[i] as T);
      const goOn = visit(i + 1);
      picked.pop();
      if (!goOn) return false;
    }
    return true;
  };
  visit(0);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Population standard deviation, rounded to 3 decimals as upstream rounds it (and its mean). */
export function standardDeviation(xs: readonly number[]): number {
  const mean = round3(sum(xs) / xs.length);
  const variance = xs.reduce((acc, x) => acc + (x - mean) * (x - mean), 0) / xs.length;
  return round3(Math.sqrt(variance));
}
