import {
  CPUSet,
  containerRequests,
  hintMasks,
  maskIds,
  maskOf,
  podQOSClass,
  widthRange,
  type Container,
  type NUMAMask,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { CpuManagerConfigError, SMTAlignmentError, StateValidationError } from '../errors.js';
import { assignedCPUs, type State } from '../state/state.js';
import {
  takeByTopologyNUMADistributed,
  takeByTopologyNUMAPacked,
  type CPUSortingStrategy,
} from '../topology/cpu-assignment.js';
import type { CPUTopology } from '../topology/cpu-topology.js';
import { DEFAULT_STATIC_POLICY_OPTIONS, type StaticPolicyOptions } from './policy-options.js';
import type { Policy } from './policy.js';
import { usesPodLevelResources } from './pod-level-resources.js';

export const POLICY_STATIC = 'static';

const CPU = 'cpu';

/**
 * Exclusive CPUs for the containers of Guaranteed pods with whole-CPU requests;
 * everything else shares the rest.
 *
 * - shared pool (the state's default set): every CPU not assigned exclusively.
 *   BestEffort, Burstable and fractional Guaranteed containers run here.
 * - reserved: CPUs never assigned exclusively (reservedSystemCPUs, or
 *   kubeReserved + systemReserved cpu rounded up, taken by topology from the lowest
 *   physical cores). They stay in the shared pool unless strict-cpu-reservation
 *   keeps them for system daemons alone.
 * - exclusive: assigned per container and recorded in the state. An app
 *   container may reuse the CPUs of its pod's (non-sidecar) init containers.
 */
export class StaticPolicy implements Policy {
  readonly name = POLICY_STATIC;
  readonly reserved: CPUSet;
  /** The reserved CPUs and their core siblings: never part of a full-pcpus-only allocation. */
  readonly reservedPhysical: CPUSet;
  private readonly cpuGroupSize: number;
  /** CPUs of init containers that later containers of the same pod may take; only the latest pod is kept. */
  private readonly cpusToReuse = new Map<string, CPUSet>();
  /** How many CPUs each NUMA node has, largest first (for minAffinitySize). */
  private readonly numaNodeSizes: readonly number[];

  constructor(
    private readonly topo: CPUTopology,
    numReservedCPUs: number,
    reservedCPUs: CPUSet,
    readonly options: StaticPolicyOptions = DEFAULT_STATIC_POLICY_OPTIONS,
    private readonly log?: Logger,
    /** The PodLevelResources feature gate (beta, on by default since 1.34). */
    private readonly podLevelResources = true,
  ) {
    this.cpuGroupSize = topo.cpusPerCore;
    this.numaNodeSizes = topo.numaNodes.map((n) => topo.cpusInNUMANode(n).length).sort((a, b) => b - a);
    let reserved = reservedCPUs;
    if (reservedCPUs.isEmpty()) {
      try {
        reserved = this.takeByTopology(topo.all, numReservedCPUs);
      } catch {
        reserved = CPUSet.EMPTY;
      }
    } else if (!reservedCPUs.isSubsetOf(topo.all)) {
      throw new CpuManagerConfigError(
        'reservedSystemCPUs',
        `"${reservedCPUs.toString()}" is not a subset of the machine's CPUs "${topo.all.toString()}"`,
      );
    }
    if (reserved.size !== numReservedCPUs) {
      throw new CpuManagerConfigError(
        reservedCPUs.isEmpty() ? 'kubeReserved.cpu + systemReserved.cpu' : 'reservedSystemCPUs',
        `cannot reserve ${numReservedCPUs} CPUs (got "${reserved.toString()}", the machine has ${topo.numCPUs})`,
      );
    }
    this.reserved = reserved;
    this.reservedPhysical = topo.coreSiblings(reserved);
    this.log?.info(
      { reserved: reserved.toString(), reservedPhysical: this.reservedPhysical.toString(), options: this.options },
      'static policy created',
    );
  }

  allocatableCPUs(): CPUSet {
    return this.topo.all.difference(this.reserved);
  }

  /** The shared pool without the reserved CPUs: where exclusive CPUs come from. */
  availableCPUs(state: State): CPUSet {
    return state.defaultCPUSet().difference(this.reserved);
  }

  sharedPool(state: State): CPUSet {
    return state.defaultCPUSet();
  }

  /** Every CPU the state must account for: all, less the reserved ones under strict-cpu-reservation. */
  private managedCPUs(): CPUSet {
    return this.options.strictCPUReservation ? this.topo.all.difference(this.reserved) : this.topo.all;
  }

  /**
   * Checks a restored state as upstream's validateState does, and refuses what it
   * refuses: an empty shared pool while containers hold CPUs, CPUs the machine lacks,
   * reserved CPUs missing from the shared pool (strictly reserved ones inside it), an
   * exclusive set overlapping the pool or held twice. Two departures, neither of which
   * touches an exclusive CPU: a file written with strict-cpu-reservation switched the
   * other way (its pool is exactly the other layout) is migrated, and CPUs of the
   * machine that no part of the file names join the shared pool; both are logged.
   */
  start(state: State): void {
    const managed = this.managedCPUs();
    const shared = state.defaultCPUSet();
    const assignments = state.assignments();
    const assigned = assignedCPUs(assignments);
    const strict = this.options.strictCPUReservation;

    if (shared.isEmpty() && assignments.size === 0) {
      state.setDefaultCPUSet(managed);
      this.log?.info({ defaultCpuSet: managed.toString() }, 'static policy initialized the shared pool');
      return;
    }
    // With strict-cpu-reservation every allocatable CPU may be assigned (upstream refuses that too).
    if (shared.isEmpty() && !(strict && assigned.equals(managed))) {
      throw new StateValidationError(
        'defaultCpuSet',
        `is empty while containers hold exclusive cpus "${assigned.toString()}" (default cpuset cannot be empty)`,
        'corrupt',
      );
    }

    const owner = new Map<number, string>();
    for (const [pod, containers] of assignments) {
      for (const [name, cpus] of containers) {
        const field = `entries[${JSON.stringify(pod)}][${JSON.stringify(name)}]`;
        const missing = cpus.difference(this.topo.all);
        if (!missing.isEmpty()) {
          throw new StateValidationError(
            field,
            `holds cpus "${missing.toString()}" that are not on this machine (it has "${this.topo.all.toString()}")`,
            'stale',
          );
        }
        const overlap = cpus.intersection(shared);
        if (!overlap.isEmpty()) {
          throw new StateValidationError(
            field,
            `cpuset "${cpus.toString()}" overlaps defaultCpuSet "${shared.toString()}" (cpus "${overlap.toString()}" are both exclusive and shared)`,
            'corrupt',
          );
        }
        const held = cpus.intersection(this.reserved);
        if (!held.isEmpty()) {
          throw new StateValidationError(
            field,
            `holds cpus "${held.toString()}" that the configuration now reserves (reserved: "${this.reserved.toString()}")`,
            'stale',
          );
        }
        for (const cpu of cpus) {
          const other = owner.get(cpu);
          if (other !== undefined && other !== pod) {
            throw new StateValidationError(field, `cpu ${cpu} is also assigned to pod ${JSON.stringify(other)}`, 'corrupt');
          }
          owner.set(cpu, pod);
        }
      }
    }

    const gone = shared.difference(this.topo.all);
    if (!gone.isEmpty()) {
      throw new StateValidationError(
        'defaultCpuSet',
        `"${shared.toString()}" names cpus "${gone.toString()}" that are not on this machine (it has "${this.topo.all.toString()}")`,
        'stale',
      );
    }

    let pool = shared;
    if (!strict && !this.reserved.isSubsetOf(shared)) {
      if (!shared.equals(this.topo.all.difference(this.reserved).difference(assigned))) {
        throw new StateValidationError(
          'defaultCpuSet',
          `"${shared.toString()}" lacks reserved cpus "${this.reserved.difference(shared).toString()}" (reserved: "${this.reserved.toString()}"): not all reserved cpus are present in defaultCpuSet`,
          'stale',
        );
      }
      pool = shared.union(this.reserved);
      this.log?.warn(
        { defaultCpuSet: shared.toString(), repaired: pool.toString(), reserved: this.reserved.toString() },
        'CPU manager state was written with strict-cpu-reservation, which is now off; the reserved CPUs rejoin the shared pool',
      );
    } else if (strict && !this.reserved.intersection(shared).isEmpty()) {
      if (!shared.equals(this.topo.all.difference(assigned))) {
        throw new StateValidationError(
          'defaultCpuSet',
          `"${shared.toString()}" holds strictly reserved cpus "${this.reserved.intersection(shared).toString()}" (reserved: "${this.reserved.toString()}")`,
          'stale',
        );
      }
      pool = shared.difference(this.reserved);
      this.log?.warn(
        { defaultCpuSet: shared.toString(), repaired: pool.toString(), reserved: this.reserved.toString() },
        'CPU manager state was written without strict-cpu-reservation, which is now on; the reserved CPUs leave the shared pool',
      );
    }

    // What is left can only be CPUs of the machine that no part of the file names (CPUs
    // that came online while the agent was down): they join the shared pool.
    const absent = managed.difference(assigned).difference(pool);
    if (!absent.isEmpty()) {
      pool = pool.union(absent);
      this.log?.warn(
        { defaultCpuSet: shared.toString(), repaired: pool.toString(), added: absent.toString() },
        'CPUs of the machine missing from the CPU manager state joined the shared pool',
      );
    }
    if (!pool.equals(shared)) state.setDefaultCPUSet(pool);
  }

  /**
   * CPUs requested by a container that qualifies for exclusive CPUs, else 0. A pod that
   * sets pod-level resources does not qualify while PodLevelResources is on: upstream
   * gives it no hints and no exclusive CPUs (its containers share the pool).
   */
  guaranteedCPUs(pod: Pod, container: Container): number {
    if (podQOSClass(pod) !== 'Guaranteed') return 0;
    if (this.podLevelResources && usesPodLevelResources(pod)) {
      this.log?.debug({ podUID: pod.metadata?.uid, containerName: container.name }, 'pod uses pod-level resources, which the static policy does not handle');
      return 0;
    }
    const cpu = containerRequests(container).get(CPU);
    if (!cpu) return 0;
    const value = cpu.value();
    if (value * 1000n !== cpu.milliValue() || value <= 0n) return 0;
    return Number(value);
  }

  /**
   * CPUs the pod needs at its peak: the larger of the app containers plus sidecars
   * and the largest init container plus the sidecars started before it.
   */
  podGuaranteedCPUs(pod: Pod): number {
    let byInit = 0;
    let bySidecars = 0;
    for (const c of pod.spec?.initContainers ?? []) {
      if (c.resources?.requests?.[CPU] === undefined) continue;
      const requested = this.guaranteedCPUs(pod, c);
      if (c.restartPolicy === 'Always') bySidecars += requested;
      else if (bySidecars + requested > byInit) byInit = bySidecars + requested;
    }
    let byApps = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (c.resources?.requests?.[CPU] === undefined) continue;
      byApps += this.guaranteedCPUs(pod, c);
    }
    return Math.max(byInit, byApps + bySidecars);
  }

  allocate(state: State, pod: Pod, container: Container, hint: TopologyHint | null): void {
    const numCPUs = this.guaranteedCPUs(pod, container);
    if (numCPUs === 0) return;
    const podUID = pod.metadata?.uid ?? '';

    if (this.options.fullPhysicalCPUsOnly && numCPUs % this.cpuGroupSize !== 0) {
      throw new SMTAlignmentError(numCPUs, this.cpuGroupSize);
    }

    const existing = state.getCPUSet(podUID, container.name);
    if (existing) {
      this.updateCPUsToReuse(pod, container, existing);
      this.log?.info({ podUID, containerName: container.name, cpuset: existing.toString() }, 'container already has exclusive CPUs');
      return;
    }

    if (this.options.fullPhysicalCPUsOnly) {
      // Reserved CPUs need not be whole cores; their siblings count as taken so
      // that every allocation below stays made of whole cores.
      const availablePhysical = state.defaultCPUSet().difference(this.reservedPhysical).size;
      if (numCPUs > availablePhysical) throw new SMTAlignmentError(numCPUs, this.cpuGroupSize, availablePhysical);
    }

    const reusable = this.cpusToReuse.get(podUID) ?? CPUSet.EMPTY;
    const cpus = this.allocateCPUs(state, numCPUs, hint?.numaAffinity ?? null, reusable);
    state.setCPUSet(podUID, container.name, cpus);
    this.updateCPUsToReuse(pod, container, cpus);
  }

  /** Takes CPUs from the NUMA nodes of the affinity first, then from anywhere. */
  allocateCPUs(state: State, numCPUs: number, numaAffinity: NUMAMask | null, reusable: CPUSet): CPUSet {
    const allocatable = this.availableCPUs(state).union(reusable);
    let result = CPUSet.EMPTY;
    if (numaAffinity !== null) {
      const aligned = this.alignedCPUs(numaAffinity, allocatable);
      result = this.takeByTopology(aligned, Math.min(numCPUs, aligned.size));
    }
    result = result.union(this.takeByTopology(allocatable.difference(result), numCPUs - result.size));
    state.setDefaultCPUSet(state.defaultCPUSet().difference(result));
    return result;
  }

  /** The allocatable CPUs of the affinity's NUMA nodes, or of their sockets with align-by-socket. */
  private alignedCPUs(numaAffinity: NUMAMask, allocatable: CPUSet): CPUSet {
    const numas = maskIds(numaAffinity);
    const scope = this.options.alignBySocket
      ? this.topo.cpusInSockets(this.topo.socketsInNUMANodes(numas))
      : this.topo.cpusInNUMANodes(numas);
    return allocatable.intersection(scope);
  }

  takeByTopology(available: CPUSet, numCPUs: number): CPUSet {
    const strategy: CPUSortingStrategy = this.options.distributeCPUsAcrossCores ? 'spread' : 'packed';
    if (this.options.distributeCPUsAcrossNUMA) {
      const groupSize = this.options.fullPhysicalCPUsOnly ? this.cpuGroupSize : 1;
      return takeByTopologyNUMADistributed(this.topo, available, numCPUs, groupSize, strategy);
    }
    return takeByTopologyNUMAPacked(this.topo, available, numCPUs, strategy);
  }

  private updateCPUsToReuse(pod: Pod, container: Container, cpus: CPUSet): void {
    const podUID = pod.metadata?.uid ?? '';
    for (const uid of this.cpusToReuse.keys()) if (uid !== podUID) this.cpusToReuse.delete(uid);
    const reusable = this.cpusToReuse.get(podUID) ?? CPUSet.EMPTY;
    const init = (pod.spec?.initContainers ?? []).find((c) => c.name === container.name);
    // A sidecar keeps running beside the app containers: its CPUs are not handed on.
    if (init && init.restartPolicy !== 'Always') this.cpusToReuse.set(podUID, reusable.union(cpus));
    else this.cpusToReuse.set(podUID, reusable.difference(cpus));
  }

  removeContainer(state: State, podUID: string, containerName: string): void {
    const released = state.getCPUSet(podUID, containerName);
    if (!released) return;
    const inUse = CPUSet.EMPTY.union(
      ...[...(state.assignments().get(podUID) ?? new Map<string, CPUSet>())]
        .filter(([name]) => name !== containerName)
        .map(([, cpus]) => cpus),
    );
    state.delete(podUID, containerName);
    state.setDefaultCPUSet(state.defaultCPUSet().union(released.difference(inUse)));
  }

  getTopologyHints(state: State, pod: Pod, container: Container): ProviderHints {
    const requested = this.guaranteedCPUs(pod, container);
    if (requested === 0) return new Map();
    const podUID = pod.metadata?.uid ?? '';

    const allocated = state.getCPUSet(podUID, container.name);
    if (allocated) {
      if (allocated.size !== requested) {
        this.log?.info(
          { podUID, containerName: container.name, requestedSize: requested, allocatedSize: allocated.size },
          'CPUs already allocated to container with a different number than requested',
        );
        return new Map([[CPU, []]]);
      }
      return new Map([[CPU, this.generateCPUTopologyHints(allocated, CPUSet.EMPTY, requested)]]);
    }
    const reusable = this.cpusToReuse.get(podUID) ?? CPUSet.EMPTY;
    return new Map([[CPU, this.generateCPUTopologyHints(this.availableCPUs(state), reusable, requested)]]);
  }

  getPodTopologyHints(state: State, pod: Pod): ProviderHints {
    const requested = this.podGuaranteedCPUs(pod);
    if (requested === 0) return new Map();
    const podUID = pod.metadata?.uid ?? '';

    let assigned = CPUSet.EMPTY;
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const allocated = state.getCPUSet(podUID, container.name);
      if (!allocated) continue;
      const byContainer = this.guaranteedCPUs(pod, container);
      if (allocated.size !== byContainer) {
        this.log?.info(
          { podUID, containerName: container.name, requestedSize: byContainer, allocatedSize: allocated.size },
          'CPUs already allocated to container with a different number than requested',
        );
        return new Map([[CPU, []]]);
      }
      assigned = assigned.union(allocated);
    }
    if (assigned.size === requested) {
      return new Map([[CPU, this.generateCPUTopologyHints(assigned, CPUSet.EMPTY, requested)]]);
    }
    const reusable = (this.cpusToReuse.get(podUID) ?? CPUSet.EMPTY).union(assigned);
    return new Map([[CPU, this.generateCPUTopologyHints(this.availableCPUs(state), reusable, requested)]]);
  }

  /**
   * One hint per set of NUMA nodes whose CPUs (available, plus reusable ones, which
   * must all lie inside it) can hold the request; preferred when it has as few NUMA
   * nodes as any set large enough for the request on an empty machine, or, with
   * align-by-socket, when it spans as few sockets as such a set needs.
   *
   * Up to 12 NUMA nodes every set is examined, as upstream. On larger machines the
   * sets are searched by width, and at most HINT_MASK_BUDGET of them offered (see
   * hintMasks): every fitting set of the narrowest fitting width when they are not
   * more, wider ones while they fit in the budget, and all nodes.
   */
  generateCPUTopologyHints(available: CPUSet, reusable: CPUSet, request: number): TopologyHint[] {
    const numaNodes = this.topo.numaNodes;
    // By NUMA node id: an array for the test run on every candidate mask, a Map for the capacity bound.
    const availableByNode: number[] = [];
    for (const n of numaNodes) availableByNode[n] = 0;
    for (const cpu of available) {
      const n = this.topo.info(cpu).numa;
      availableByNode[n] = (availableByNode[n] ?? 0) + 1;
    }
    const availablePerNUMA = new Map<number, number>(numaNodes.map((n) => [n, availableByNode[n] ?? 0]));
    const required = maskOf([...reusable].map((cpu) => this.topo.info(cpu).numa));
    const capacity = { offers: [availablePerNUMA], needs: [request - reusable.size] };
    const masks = hintMasks({
      ids: numaNodes,
      required,
      capacity,
      // The test below is exactly this bound: a mask holding the reusable CPUs' nodes fits when its free CPUs reach the rest.
      sufficientCapacity: capacity,
      fits: (mask, maskNodeIds) => {
        if ((mask & required) !== required) return false;
        let matching = reusable.size;
        for (const n of maskNodeIds) matching += availableByNode[n] ?? 0;
        return matching >= request;
      },
    });

    const minAffinitySize = this.minAffinitySize(request);
    // The masks come narrowest first: those of the minimal width are one run.
    const minimal = widthRange(masks, minAffinitySize);
    return masks.map((mask, i) => ({
      numaAffinity: mask,
      preferred: (this.options.alignBySocket && this.isHintSocketAligned(mask, minAffinitySize)) || (i >= minimal.start && i < minimal.end),
    }));
  }

  /**
   * The fewest NUMA nodes whose CPUs, free or not, add up to the request (all nodes
   * when none do): upstream's minAffinitySize, without walking every set of nodes.
   */
  private minAffinitySize(request: number): number {
    const sizes = this.numaNodeSizes;
    let sum = 0;
    for (let i = 0; i < sizes.length; i++) {
      sum += sizes[i] as number;
      if (sum >= request) return i + 1;
    }
    return sizes.length;
  }

  /** True when the hint's NUMA nodes span no more sockets than the smallest fitting hint needs. */
  private isHintSocketAligned(mask: NUMAMask, minAffinitySize: number): boolean {
    const numaPerSocket = Math.floor(this.topo.numNUMANodes / this.topo.numSockets);
    if (numaPerSocket === 0) return false;
    const minSockets = Math.floor((minAffinitySize + numaPerSocket - 1) / numaPerSocket);
    return this.topo.socketsInNUMANodes(maskIds(mask)).length === minSockets;
  }
}

