import { join } from 'node:path';
import {
  CPUSet,
  type AllocateResult,
  type Container,
  type ContainerAllocation,
  type MachineInfo,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { parseCpuManagerConfig, type CpuManagerConfig, type CpuManagerPolicyName } from './config/cpu-manager-config.js';
import {
  CpuManagerConfigError,
  SMTAlignmentError,
  StaleStateError,
  StateFileError,
  StateValidationError,
  UNEXPECTED_ADMISSION_ERROR,
} from './errors.js';
import { NonePolicy } from './policy/policy-none.js';
import { parseStaticPolicyOptions, validateStaticPolicyOptions } from './policy/policy-options.js';
import { StaticPolicy } from './policy/policy-static.js';
import type { Policy } from './policy/policy.js';
import { CheckpointFormatError } from './state/checkpoint.js';
import { CheckpointState, CPU_MANAGER_STATE_FILE, readCheckpointFile } from './state/checkpoint-state.js';
import { podsWithExclusiveCPUs } from './state/state.js';
import { CPUTopology } from './topology/cpu-topology.js';

/** Values of the kubelet's CPU manager metrics, by their upstream names. */
export interface CpuManagerMetrics {
  /** Containers that asked for exclusive CPUs. */
  kubelet_cpu_manager_pinning_requests_total: number;
  /** Of those, the ones refused. */
  kubelet_cpu_manager_pinning_errors_total: number;
  /** The shared pool less the reserved CPUs, in millicores. */
  kubelet_cpu_manager_shared_pool_size_millicores: number;
  /** CPUs assigned exclusively (a CPU reused by an app container counts twice, as upstream counts it). */
  kubelet_cpu_manager_exclusive_cpu_allocation_count: number;
}

export interface CpuManagerOptions {
  /** The machine topology the agent hands every plugin. */
  machine: MachineInfo;
  /**
   * The merged KubeletConfiguration in upstream JSON. Read: cpuManagerPolicy,
   * cpuManagerPolicyOptions, cpuManagerReconcilePeriod, reservedSystemCPUs,
   * kubeReserved, systemReserved, topologyManagerPolicy, featureGates.
   */
  kubeletConfig: unknown;
  /** Where `cpu_manager_state` lives: the agent's root directory (upstream /var/lib/kubelet). */
  stateDir: string;
  logger: Logger;
}

/**
 * The kubelet's CPU manager as a hint provider: NUMA hints for the topology
 * manager, exclusive CPUs for the containers of Guaranteed pods with whole-CPU
 * requests, a shared pool for every other container, and the upstream state file.
 *
 * Construction validates the configuration (CpuManagerConfigError); `start()`
 * restores the state file (StateFileError, StaleStateError). Every other method
 * needs a started manager. All methods are synchronous; each change is written to
 * the state file before the method returns.
 */
export class CpuManager {
  readonly config: CpuManagerConfig;
  readonly topology: CPUTopology;
  readonly policy: Policy;
  /** `<stateDir>/cpu_manager_state`. */
  readonly stateFile: string;
  private readonly log: Logger;
  private state: CheckpointState | undefined;
  /** The pod being admitted: its containers are never stale. */
  private pendingAdmissionPod: Pod | undefined;
  private pinningRequests = 0;
  private pinningErrors = 0;

  constructor(options: CpuManagerOptions) {
    this.config = parseCpuManagerConfig(options.kubeletConfig);
    this.topology = CPUTopology.fromMachine(options.machine);
    this.stateFile = join(options.stateDir, CPU_MANAGER_STATE_FILE);
    this.log = options.logger;
    this.policy = this.createPolicy();
  }

  private createPolicy(): Policy {
    const { config, topology } = this;
    if (config.policy === 'none') {
      if (config.policyOptions.size > 0) {
        throw new CpuManagerConfigError(
          'cpuManagerPolicyOptions',
          `the none policy takes no options, got ${[...config.policyOptions.keys()].map((k) => `"${k}"`).join(', ')}`,
        );
      }
      return new NonePolicy(topology);
    }
    if (config.numReservedCPUs === 0) {
      throw new CpuManagerConfigError(
        'kubeReserved.cpu + systemReserved.cpu',
        'the static policy needs CPUs reserved for the system (reservedSystemCPUs, or kubeReserved/systemReserved cpu greater than zero); with none reserved the shared pool could become empty',
      );
    }
    const options = parseStaticPolicyOptions(config.policyOptions, config.featureGates);
    validateStaticPolicyOptions(options, topology, config.topologyManagerPolicy);
    return new StaticPolicy(topology, config.numReservedCPUs, config.reservedSystemCPUs, options, this.log, config.featureGates.PodLevelResources);
  }

  get policyName(): CpuManagerPolicyName {
    return this.policy.name;
  }

  /** How often the agent should reconcile container cpusets (cpuManagerReconcilePeriod). */
  get reconcilePeriodMs(): number {
    return this.config.reconcilePeriodMs;
  }

  get started(): boolean {
    return this.state !== undefined;
  }

  /**
   * Restores the state file, or creates it. When `activePods` is given, assignments
   * of pods no longer on the node are dropped first (as removeStaleState does).
   *
   * A state written for another policy is migrated when no container holds
   * exclusive CPUs in it; a shared pool that no longer fits the reserved CPUs or
   * the machine is recomputed when no exclusive CPU is affected. Otherwise start
   * refuses with StaleStateError, and with StateFileError for a file that cannot be
   * trusted; both name the file, the field and the remedy, and leave the file as it is.
   */
  start(activePods?: Iterable<Pod>): void {
    const file = this.stateFile;
    let restored;
    try {
      restored = readCheckpointFile(file);
    } catch (err) {
      if (err instanceof CheckpointFormatError) {
        throw new StateFileError(file, err.field, err.problem, corruptRemedy(file, []), { cause: err });
      }
      throw new StateFileError(file, '(file)', `cannot be read: ${(err as Error).message}`, 'check the file and its permissions', { cause: err });
    }

    const state = new CheckpointState(file, this.policy.name, restored?.defaultCPUSet, restored?.assignments);
    const samePolicy = restored === undefined || restored.policyName === this.policy.name;
    if (activePods) this.dropStale(state, activeContainers(activePods, undefined), samePolicy);

    if (restored === undefined) {
      this.log.info({ file }, 'no CPU manager state file; starting with an empty state');
    } else if (!samePolicy) {
      const pods = podsWithExclusiveCPUs(state.assignments());
      if (pods.length > 0) {
        throw new StaleStateError(
          file,
          'policyName',
          `is "${restored.policyName}" but cpuManagerPolicy is "${this.policy.name}", and pods hold exclusive CPUs in it (${pods.join(', ')})`,
          `set cpuManagerPolicy back to "${restored.policyName}", or drain the node (or stop pods ${pods.join(', ')}), then delete ${file} and restart the cpu-manager plugin`,
          pods,
        );
      }
      this.log.warn(
        { file, from: restored.policyName, to: this.policy.name },
        'CPU manager policy changed and no container holds exclusive CPUs; migrated the state file to the new policy',
      );
      state.clear();
    }

    try {
      this.policy.start(state);
    } catch (err) {
      if (!(err instanceof StateValidationError)) throw err;
      const pods = podsWithExclusiveCPUs(state.assignments());
      if (err.kind === 'corrupt') throw new StateFileError(file, err.field, err.problem, corruptRemedy(file, pods), { cause: err });
      throw new StaleStateError(file, err.field, err.problem, staleRemedy(file, pods), pods, { cause: err });
    }

    state.commit(true);
    this.state = state;
    this.log.info(
      {
        file,
        cpuManagerPolicy: this.policy.name,
        defaultCpuSet: state.defaultCPUSet().toString(),
        exclusivePods: podsWithExclusiveCPUs(state.assignments()).length,
      },
      'CPU manager started',
    );
  }

  getTopologyHints(pod: Pod, containerName: string): ProviderHints {
    const state = this.requireState();
    this.pendingAdmissionPod = pod;
    return this.policy.getTopologyHints(state, pod, findContainer(pod, containerName));
  }

  getPodTopologyHints(pod: Pod): ProviderHints {
    const state = this.requireState();
    this.pendingAdmissionPod = pod;
    return this.policy.getPodTopologyHints(state, pod);
  }

  /**
   * Reserves CPUs for the container under the topology manager's chosen hint and
   * says which cpuset it gets: its exclusive CPUs, else the shared pool (static), or
   * none at all (none: the runtime default). Idempotent per container. Refusals
   * carry the kubelet's reasons: SMTAlignmentError, else UnexpectedAdmissionError.
   */
  allocate(pod: Pod, containerName: string, hint: TopologyHint): AllocateResult {
    const state = this.requireState();
    this.pendingAdmissionPod = pod;
    const podUID = pod.metadata?.uid ?? '';
    const logFields = { pod: podRef(pod), podUID, containerName };
    let pinning = false;
    try {
      if (podUID === '') throw new Error(`pod ${podRef(pod)} has no metadata.uid`);
      const container: Container = findContainer(pod, containerName);
      pinning = this.policy instanceof StaticPolicy && this.policy.guaranteedCPUs(pod, container) > 0;
      if (pinning) this.pinningRequests++;
      state.transaction(() => this.policy.allocate(state, pod, container, hint));
    } catch (err) {
      if (pinning) this.pinningErrors++;
      this.log.warn({ ...logFields, err }, 'CPU allocation failed');
      if (err instanceof SMTAlignmentError) return { ok: false, reason: err.reason, message: err.message };
      return { ok: false, reason: UNEXPECTED_ADMISSION_ERROR, message: `Allocate failed due to ${(err as Error).message}, which is unexpected` };
    }
    const exclusive = state.getCPUSet(podUID, containerName);
    if (exclusive) this.log.info({ ...logFields, cpuset: exclusive.toString() }, 'allocated exclusive CPUs');
    const cpus = exclusive ?? (this.policy.name === 'none' ? undefined : this.policy.sharedPool(state));
    return { ok: true, allocation: { podUID, containerName, ...(cpus ? { cpusetCpus: cpus.toString() } : {}) } };
  }

  /**
   * Releases the container's exclusive CPUs to the shared pool (no-op for others).
   * Throws when the state file cannot be written; the CPUs then stay assigned.
   */
  removeContainer(podUID: string, containerName: string): void {
    const state = this.requireState();
    const held = state.getCPUSet(podUID, containerName);
    state.transaction(() => this.policy.removeContainer(state, podUID, containerName));
    if (held) this.log.info({ podUID, containerName, cpuset: held.toString() }, 'released exclusive CPUs');
  }

  /**
   * Drops the assignments of containers that are not in `activePods` (nor in the
   * pod being admitted), releasing their CPUs: the kubelet's removeStaleState, for
   * the agent to call every reconcile period with the pods still on the node.
   */
  removeStaleState(activePods: Iterable<Pod>): void {
    const state = this.requireState();
    state.transaction(() => this.dropStale(state, activeContainers(activePods, this.pendingAdmissionPod), true));
  }

  private dropStale(state: CheckpointState, active: Map<string, Set<string>>, viaPolicy: boolean): void {
    const stale: [string, string][] = [];
    for (const [podUID, containers] of state.assignments()) {
      for (const name of containers.keys()) if (!active.get(podUID)?.has(name)) stale.push([podUID, name]);
    }
    for (const [podUID, containerName] of stale) {
      this.log.info({ podUID, containerName, cpuset: state.getCPUSet(podUID, containerName)?.toString() }, 'removing stale CPU assignment');
      if (viaPolicy) this.policy.removeContainer(state, podUID, containerName);
      else state.delete(podUID, containerName);
    }
  }

  /** Containers holding exclusive CPUs, for the pod resources API and reconciliation. */
  listAllocations(): ContainerAllocation[] {
    const state = this.requireState();
    const out: ContainerAllocation[] = [];
    for (const [podUID, containers] of state.assignments()) {
      for (const [containerName, cpus] of containers) out.push({ podUID, containerName, cpusetCpus: cpus.toString() });
    }
    return out.sort((a, b) => a.podUID.localeCompare(b.podUID) || a.containerName.localeCompare(b.containerName));
  }

  /** The cpuset the container should run on now: its exclusive CPUs, else the shared pool. */
  cpusetFor(podUID: string, containerName: string): CPUSet {
    const state = this.requireState();
    return state.getCPUSet(podUID, containerName) ?? this.policy.sharedPool(state);
  }

  /** The CPUs of containers without exclusive CPUs (all CPUs under the none policy). */
  sharedPool(): CPUSet {
    return this.policy.sharedPool(this.requireState());
  }

  /** CPUs never assigned exclusively (empty under the none policy). */
  reservedCPUs(): CPUSet {
    return this.policy instanceof StaticPolicy ? this.policy.reserved : CPUSet.EMPTY;
  }

  /** Current values of the kubelet's CPU manager metrics, for the plugin's metrics endpoint. */
  metrics(): CpuManagerMetrics {
    const state = this.requireState();
    const shared = this.policy instanceof StaticPolicy ? this.policy.availableCPUs(state) : this.policy.sharedPool(state);
    let exclusive = 0;
    for (const containers of state.assignments().values()) for (const cpus of containers.values()) exclusive += cpus.size;
    return {
      kubelet_cpu_manager_pinning_requests_total: this.pinningRequests,
      kubelet_cpu_manager_pinning_errors_total: this.pinningErrors,
      kubelet_cpu_manager_shared_pool_size_millicores: shared.size * 1000,
      kubelet_cpu_manager_exclusive_cpu_allocation_count: exclusive,
    };
  }

  private requireState(): CheckpointState {
    if (!this.state) throw new Error('the CPU manager is not started: call start() first');
    return this.state;
  }
}

function podRef(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

function findContainer(pod: Pod, name: string): Container {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
  if (!found) throw new Error(`container "${name}" not found in pod ${podRef(pod)}`);
  return found;
}

function activeContainers(pods: Iterable<Pod>, pending: Pod | undefined): Map<string, Set<string>> {
  const active = new Map<string, Set<string>>();
  for (const pod of [...pods, ...(pending ? [pending] : [])]) {
    const names = active.get(pod.metadata?.uid ?? '') ?? new Set<string>();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) names.add(c.name);
    active.set(pod.metadata?.uid ?? '', names);
  }
  return active;
}

function podsClause(pods: readonly string[]): string {
  return pods.length > 0 ? `stop the pods holding exclusive CPUs (${pods.join(', ')}) or drain the node` : 'drain the node';
}

function corruptRemedy(file: string, pods: readonly string[]): string {
  return `${podsClause(pods)}, then delete ${file} and restart the cpu-manager plugin (the file is never reset automatically: running pods would lose their exclusive CPUs)`;
}

function staleRemedy(file: string, pods: readonly string[]): string {
  return `restore the previous reservedSystemCPUs/kubeReserved/systemReserved or bring the machine's CPUs back, or ${podsClause(pods)}, then delete ${file} and restart the cpu-manager plugin`;
}
