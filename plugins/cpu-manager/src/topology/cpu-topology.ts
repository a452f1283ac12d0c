import { CPUSet, type MachineInfo } from '@kernelet/sdk/common';

/** Where one logical CPU sits. `core` is machine-unique: the lowest CPU id among the core's threads. */
export interface CPUInfo {
  readonly id: number;
  readonly core: number;
  readonly socket: number;
  readonly numa: number;
}

export class CPUTopologyError extends Error {
  override readonly name = 'CPUTopologyError';
}

/**
 * The CPU layout the policies work on, indexed for lookups by CPU id, core,
 * socket and NUMA node.
 *
 * The machine JSON numbers cores as /sys does, per socket; a core here is keyed
 * by its lowest thread id instead, which makes it unique on the machine and
 * orders cores the way the kubelet does (it keys cores the same way). Threads
 * of one (socket, core) on different NUMA nodes make one core per node, as
 * cadvisor reports them to the kubelet.
 */
export class CPUTopology {
  readonly numCPUs: number;
  readonly numCores: number;
  readonly numSockets: number;
  readonly numNUMANodes: number;
  /** Logical CPUs per core, rounded down, as upstream computes it (NumCPUs / NumCores). */
  readonly cpusPerCore: number;
  /** Logical CPUs per socket, rounded down (NumCPUs / NumSockets). */
  readonly cpusPerSocket: number;
  /** Every CPU of the machine. */
  readonly all: CPUSet;
  /** Ascending ids. */
  readonly sockets: readonly number[];
  readonly numaNodes: readonly number[];
  readonly cores: readonly number[];

  private readonly byId: readonly (CPUInfo | undefined)[];
  private readonly coreCPUs = new Map<number, readonly number[]>();
  private readonly socketCPUs = new Map<number, readonly number[]>();
  private readonly numaCPUs = new Map<number, readonly number[]>();
  private readonly socketNUMAs = new Map<number, readonly number[]>();
  private readonly numaSockets = new Map<number, readonly number[]>();

  constructor(cpus: readonly CPUInfo[]) {
    if (cpus.length === 0) throw new CPUTopologyError('the machine has no CPUs');
    const byId: (CPUInfo | undefined)[] = [];
    const sorted = [...cpus].sort((a, b) => a.id - b.id);
    for (const cpu of sorted) {
      if (byId[cpu.id]) throw new CPUTopologyError(`duplicate cpu id ${cpu.id}`);
      byId[cpu.id] = cpu;
      push(this.coreCPUs, cpu.core, cpu.id);
      push(this.socketCPUs, cpu.socket, cpu.id);
      push(this.numaCPUs, cpu.numa, cpu.id);
      pushUnique(this.socketNUMAs, cpu.socket, cpu.numa);
      pushUnique(this.numaSockets, cpu.numa, cpu.socket);
    }
    for (const map of [this.socketNUMAs, this.numaSockets]) {
      for (const list of map.values()) (list as number[]).sort((a, b) => a - b);
    }
    this.byId = byId;
    this.numCPUs = sorted.length;
    this.numCores = this.coreCPUs.size;
    this.numSockets = this.socketCPUs.size;
    this.numNUMANodes = this.numaCPUs.size;
    this.cpusPerCore = Math.floor(this.numCPUs / this.numCores);
    this.cpusPerSocket = Math.floor(this.numCPUs / this.numSockets);
    this.all = CPUSet.from(sorted.map((c) => c.id));
    this.sockets = [...this.socketCPUs.keys()].sort((a, b) => a - b);
    this.numaNodes = [...this.numaCPUs.keys()].sort((a, b) => a - b);
    this.cores = [...this.coreCPUs.keys()].sort((a, b) => a - b);
  }

  /** Builds the topology from the machine description the agent hands every plugin. */
  static fromMachine(machine: MachineInfo): CPUTopology {
    const key = (cpu: MachineInfo['cpus'][number]): string => `${cpu.socket}/${cpu.core}/${cpu.numa}`;
    const lowestThread = new Map<string, number>();
    for (const cpu of machine.cpus) {
      const prior = lowestThread.get(key(cpu));
      if (prior === undefined || cpu.id < prior) lowestThread.set(key(cpu), cpu.id);
    }
    return new CPUTopology(
      machine.cpus.map((cpu) => ({
        id: cpu.id,
        core: lowestThread.get(key(cpu)) as number,
        socket: cpu.socket,
        numa: cpu.numa,
      })),
    );
  }

  /** Upper bound (exclusive) of CPU ids, for arrays indexed by id. */
  get idLimit(): number {
    return this.byId.length;
  }

  has(cpu: number): boolean {
    return this.byId[cpu] !== undefined;
  }

  info(cpu: number): CPUInfo {
    const found = this.byId[cpu];
    if (!found) throw new CPUTopologyError(`cpu ${cpu} is not on this machine`);
    return found;
  }

  cpusInCore(core: number): readonly number[] {
    return this.coreCPUs.get(core) ?? [];
  }

  cpusInSocket(socket: number): readonly number[] {
    return this.socketCPUs.get(socket) ?? [];
  }

  cpusInNUMANode(numa: number): readonly number[] {
    return this.numaCPUs.get(numa) ?? [];
  }

  cpusInNUMANodes(numas: Iterable<number>): CPUSet {
    const ids: number[] = [];
    for (const n of numas) ids.push(...this.cpusInNUMANode(n));
    return CPUSet.from(ids);
  }

  cpusInSockets(sockets: Iterable<number>): CPUSet {
    const ids: number[] = [];
    for (const s of sockets) ids.push(...this.cpusInSocket(s));
    return CPUSet.from(ids);
  }

  /** Sockets holding CPUs of the given NUMA nodes, ascending. */
  socketsInNUMANodes(numas: Iterable<number>): number[] {
    const found = new Set<number>();
    for (const n of numas) for (const s of this.numaSockets.get(n) ?? []) found.add(s);
    return [...found].sort((a, b) => a - b);
  }

  /** All threads of the cores the given CPUs belong to. */
  coreSiblings(cpus: CPUSet): CPUSet {
    const ids: number[] = [];
    for (const cpu of cpus) if (this.has(cpu)) ids.push(...this.cpusInCore(this.info(cpu).core));
    return CPUSet.from(ids);
  }
}

function push(map: Map<number, readonly number[]>, key: number, value: number): void {
  const list = map.get(key) as number[] | undefined;
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pushUnique(map: Map<number, readonly number[]>, key: number, value: number): void {
  const list = map.get(key) as number[] | undefined;
  if (!list) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}
