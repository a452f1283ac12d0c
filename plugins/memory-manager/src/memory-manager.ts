/**
 * The memory manager as a hint provider: the handlers the agent's HintProvider
 * calls, over a policy and a checkpointed state.
 *
 * Everything is synchronous: an operation reads and changes the state and writes
 * the state file before it returns, so two calls can never interleave and the file
 * on disk always matches what was answered.
 */
import {
  CPUSet,
  type AllocateResult,
  type ContainerAllocation,
  type MachineInfo,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '@kernelet/sdk/common';
import type { Logger } from 'pino';

import { MemoryManagerConfigError, POLICY_STATIC, parseMemoryManagerConfig, type PolicyName } from './config.js';
import { NonePolicy } from './policy/policy-none.js';
import { AllocationError, NO_PREFERENCE, type Policy } from './policy/policy.js';
import { StaticPolicy, podUID } from './policy/policy-static.js';
import { findContainer, isRestartableInitContainer } from './policy/requested-resources.js';
import { numaNodeProblems, reservationProblems, reservedByNode } from './reserved-memory.js';
import { CheckpointState, type Checkpoint } from './state/checkpoint-state.js';
import { PolicyMismatchError, StateFileError, StateWriteError, StaleStateError, type StaleAssignment } from './state/errors.js';
import { diffMachineStates } from './state/machine-state.js';
import { MemoryState, type Block } from './state/memory-state.js';

export interface MemoryManagerOptions {
  machine: MachineInfo;
  /** The merged KubeletConfiguration, in its upstream JSON field names. */
  kubeletConfig: unknown;
  /** Where `memory_manager_state` lives (the agent's root dir). */
  stateDir: string;
  logger: Logger;
}

/** An active pod: its UID keeps all of its containers' memory; the Pod itself keeps only the containers in its spec. */
export type ActivePod = Pod | string;

/** The reason an admission fails with when memory cannot be placed, as the kubelet reports it. */
export const ALLOCATION_FAILURE_REASON = 'UnexpectedAdmissionError';

export class MemoryManager {
  readonly name = 'memory-manager';
  readonly policy: Policy;
  readonly stateFile: string;
  private readonly machine: MachineInfo;
  private readonly log: Logger;
  private readonly checkpoint: CheckpointState;
  private readonly state = new MemoryState();
  private started = false;
  /** A change the state file has not caught up with yet (its write failed). */
  private unsaved = false;

  /** Throws MemoryManagerConfigError listing every configuration problem. */
  constructor(options: MemoryManagerOptions) {
    const { config, problems } = parseMemoryManagerConfig(options.kubeletConfig);
    problems.push(...reservationProblems(config, options.machine));
    if (config.policy === POLICY_STATIC) problems.push(...numaNodeProblems(config, options.machine));
    if (problems.length > 0) throw new MemoryManagerConfigError(problems);

    this.machine = options.machine;
    this.log = options.logger;
    this.checkpoint = new CheckpointState(options.stateDir);
    this.stateFile = this.checkpoint.file;
    this.policy =
      config.policy === POLICY_STATIC
        ? new StaticPolicy({ machine: options.machine, reserved: reservedByNode(config), featureGates: config.featureGates, logger: this.log })
        : new NonePolicy();
    this.log.info({ policy: config.policy, topologyManagerPolicy: config.topologyManagerPolicy, stateFile: this.stateFile }, 'memory manager configured');
  }

  get policyName(): PolicyName {
    return this.policy.name;
  }

  /**
   * Restores the state file (or creates it), then, given the node's active pods,
   * drops the memory of containers that are gone. Throws StateFileError,
   * StaleStateError or PolicyMismatchError when the file cannot be trusted; each
   * carries the file, the field and a remedy.
   */
  start(activePods?: Iterable<ActivePod>): void {
    if (this.started) return;
    const stored = this.checkpoint.read();
    if (stored) this.restore(stored);
    else {
      this.state.restore({ machine: this.policy.initialMachineState(), entries: new Map() });
      this.save();
      this.log.info({ stateFile: this.stateFile }, 'created the memory manager state file');
    }
    this.started = true;
    if (activePods) this.removeStaleState(activePods);
  }

  getTopologyHints(pod: Pod, containerName: string): ProviderHints {
    this.assertStarted();
    const found = findContainer(pod, containerName);
    if (!found) {
      this.log.warn({ pod: podName(pod), containerName }, 'no such container in the pod; no hints');
      return NO_PREFERENCE;
    }
    return this.policy.topologyHints(this.state, pod, found.container);
  }

  getPodTopologyHints(pod: Pod): ProviderHints {
    this.assertStarted();
    return this.policy.podTopologyHints(this.state, pod);
  }

  /** Places the container's memory under the hint; idempotent. cpusetMems names the NUMA nodes it may use. */
  allocate(pod: Pod, containerName: string, hint: TopologyHint): AllocateResult {
    this.assertStarted();
    const uid = podUID(pod);
    const found = findContainer(pod, containerName);
    // The message is worded as the kubelet words a failed Allocate (upstream's text for the
    // situation inside); the log says which nodes and sizes were in the way.
    const refuse = (cause: string, detail = cause): AllocateResult => {
      this.log.warn({ pod: podName(pod), podUID: uid, containerName, reason: detail, message: cause }, 'memory allocation refused');
      return { ok: false, reason: ALLOCATION_FAILURE_REASON, message: `Allocate failed due to ${cause}, which is unexpected` };
    };
    if (uid === '') return refuse(`[memorymanager] pod ${podName(pod)} has no UID`);
    if (!found) return refuse(`[memorymanager] pod ${podName(pod)} has no container "${containerName}"`);
    try {
      this.change(() => this.policy.allocate(this.state, pod, found.container, hint), { rollback: true });
    } catch (err) {
      if (err instanceof AllocationError) return refuse(err.message, err.detail);
      if (err instanceof StateWriteError) return refuse(`[memorymanager] ${err.message}`);
      throw err;
    }
    return { ok: true, allocation: this.allocationOf(uid, containerName) };
  }

  /**
   * A container is starting: earlier regular init containers of its pod have
   * finished, so their memory (what later containers did not reuse) is released.
   */
  addContainer(pod: Pod, containerName: string): void {
    this.assertStarted();
    const uid = podUID(pod);
    this.change(() => {
      for (const init of pod.spec?.initContainers ?? []) {
        if (init.name === containerName) break;
        if (!isRestartableInitContainer(init)) this.policy.removeContainer(this.state, uid, init.name);
      }
    });
  }

  /** Frees the container's memory; idempotent. */
  removeContainer(podUID: string, containerName: string): void {
    this.assertStarted();
    this.change(() => this.policy.removeContainer(this.state, podUID, containerName));
  }

  /** Frees the memory of every container not among the active pods (see ActivePod). */
  removeStaleState(activePods: Iterable<ActivePod>): void {
    this.assertStarted();
    const active = new Map<string, Set<string> | 'all'>();
    for (const pod of activePods) {
      if (typeof pod === 'string') active.set(pod, 'all');
      else {
        const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
        active.set(podUID(pod), new Set(names));
      }
    }
    this.change(() => {
      // Listed first: removing changes the assignments being read.
      const gone: [string, string][] = [];
      for (const [uid, containers] of this.state.assignments()) {
        const keep = active.get(uid);
        for (const containerName of containers.keys()) if (keep !== 'all' && !keep?.has(containerName)) gone.push([uid, containerName]);
      }
      for (const [uid, containerName] of gone) {
        this.log.info({ podUID: uid, containerName }, 'removing memory of a container that is no longer active');
        this.policy.removeContainer(this.state, uid, containerName);
      }
    });
  }

  /** Every container holding memory, with the NUMA nodes it may use. */
  listAllocations(): ContainerAllocation[] {
    this.assertStarted();
    const allocations: ContainerAllocation[] = [];
    for (const [uid, containers] of [...this.state.assignments()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const containerName of [...containers.keys()].sort()) allocations.push(this.allocationOf(uid, containerName));
    }
    return allocations;
  }

  /** The NUMA nodes the container's memory is on, ascending; undefined when it holds none. */
  memoryNodesFor(podUID: string, containerName: string): number[] | undefined {
    this.assertStarted();
    const blocks = this.state.memoryBlocks(podUID, containerName);
    if (!blocks) return undefined;
    return [...new Set(blocks.flatMap((b) => b.numaAffinity))].sort((a, b) => a - b);
  }

  /** The container's memory, per type (the pod-resources API's GetMemory). */
  memoryBlocksFor(podUID: string, containerName: string): Block[] {
    this.assertStarted();
    return this.state.memoryBlocks(podUID, containerName) ?? [];
  }

  /** Allocatable memory per NUMA node and type (the pod-resources API's GetAllocatableResources). */
  allocatableMemory(): Block[] {
    this.assertStarted();
    return this.policy.allocatableMemory(this.state);
  }

  private allocationOf(uid: string, containerName: string): ContainerAllocation {
    const ids = this.memoryNodesFor(uid, containerName) ?? this.machine.numaNodes.map((n) => n.id);
    return { podUID: uid, containerName, cpusetMems: CPUSet.from(ids).toString() };
  }

  private restore(stored: Checkpoint): void {
    const file = this.stateFile;
    const containers = [...stored.entries.values()].reduce((n, pod) => n + pod.size, 0);
    if (stored.policyName !== this.policy.name) {
      if (containers > 0) throw new PolicyMismatchError(file, stored.policyName, this.policy.name, containers);
      this.log.warn({ stateFile: file, storedPolicy: stored.policyName, policy: this.policy.name }, 'state file of another policy holds no assignments; migrating it');
      this.state.restore({ machine: this.policy.initialMachineState(), entries: new Map() });
      this.save();
      return;
    }
    if (this.policy.name !== POLICY_STATIC) {
      this.state.restore({ machine: stored.machineState, entries: stored.entries });
      return;
    }
    if (stored.machineState.size === 0) {
      if (containers > 0) throw new StateFileError(file, 'machineState', `is empty, yet ${containers} container assignment(s) are recorded`);
      this.state.restore({ machine: this.policy.initialMachineState(), entries: new Map() });
      this.save();
      return;
    }

    const machineIds = new Set(this.machine.numaNodes.map((n) => n.id));
    const topology: StaleAssignment[] = [];
    for (const id of stored.machineState.keys()) {
      if (!machineIds.has(id)) topology.push(nodeConflict(`machineState["${id}"]`, `NUMA node ${id} does not exist on this machine`));
    }
    for (const id of machineIds) {
      if (!stored.machineState.has(id)) topology.push(nodeConflict('machineState', `this machine's NUMA node ${id} is missing`));
    }
    if (topology.length > 0) throw new StaleStateError(file, topology, 'the NUMA topology differs from the one the state was written on');

    const { state: expected, conflicts } = this.policy.expectedMachineState(stored.entries);
    if (conflicts.length > 0) throw new StaleStateError(file, conflicts);
    const changes = diffMachineStates(stored.machineState, expected);
    if (changes.length === 0) {
      this.state.restore({ machine: stored.machineState, entries: stored.entries });
      this.log.info({ stateFile: file, containers }, 'restored the memory manager state');
      return;
    }
    // Upstream refuses to start here ("the expected machine state is different from
    // the real one"). Every assignment still fits, so the machine state is rebuilt.
    for (const change of changes) this.log.warn({ stateFile: file, ...change }, 'machine state changed since the state file was written');
    this.state.restore({ machine: expected, entries: stored.entries });
    this.save();
    this.log.warn({ stateFile: file, containers, changes: changes.length }, 'rebuilt the machine state from this machine and the recorded assignments');
  }

  /**
   * Runs an operation and writes the state file if it changed anything. When the
   * write fails, a rollback operation is undone (and the error thrown); any other
   * keeps its effect in memory and is written with the next change.
   */
  private change(operation: () => void, { rollback = false } = {}): void {
    if (rollback) this.state.recordUndo();
    try {
      const version = this.state.version;
      operation();
      if (this.state.version === version && !this.unsaved) return;
      try {
        this.save();
      } catch (err) {
        if (rollback) {
          this.state.undo();
          throw err;
        }
        this.unsaved = true;
        this.log.error({ err, stateFile: this.stateFile }, 'could not write the memory manager state; will retry with the next change');
      }
    } finally {
      if (rollback) this.state.forgetUndo();
    }
  }

  /** Writes the live state: the checkpoint only reads it. */
  private save(): void {
    this.checkpoint.write({ policyName: this.policy.name, machineState: this.state.machineState(), entries: this.state.assignments() });
    this.unsaved = false;
  }

  private assertStarted(): void {
    if (!this.started) throw new Error('memory manager used before start()');
  }
}

function nodeConflict(field: string, problem: string): StaleAssignment {
  return { podUID: '', containerName: '', field, problem };
}

function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
