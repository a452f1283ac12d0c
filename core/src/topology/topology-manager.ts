import type { ContainerAllocation, Pod, TopologyHint } from '@kernelet/sdk/common';
import { pino, type Logger } from 'pino';
import { rejected, type AdmitResult } from '../extension-points/admit-handler.js';
import type { HintProvider } from '../extension-points/hint-provider.js';
import { AffinityStore, AllocationStore } from './affinity-store.js';
import { mergeAllocations } from './merge-allocations.js';
import { createPolicy } from './create-policy.js';
import { assertDistancesFor } from './merge-hints.js';
import { NUMAInfo, type NUMAMachine } from './numa-info.js';
import { isPolicyName, POLICY_NAMES, type Policy } from './policy.js';
import {
  assertNUMANodesAllowed,
  DEFAULT_MAX_ALLOWABLE_NUMA_NODES,
  DEFAULT_POLICY_OPTIONS,
  parsePolicyOptions,
  type FeatureGateLookup,
  type PolicyOptions,
} from './policy-options.js';
import { PodAdmission } from './pod-admission.js';
import { isScopeName, SCOPE_NAMES, UNEXPECTED_ADMISSION_ERROR, type Scope } from './scope.js';
import { ContainerScope } from './scope-container.js';
import { NoneScope } from './scope-none.js';
import { PodScope } from './scope-pod.js';
import { TopologyConfigError } from './topology-config-error.js';

/** How long one provider call may take before the pod is rejected; the agent passes its plugin call timeout. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

export interface TopologyManagerConfig {
  /** topologyManagerPolicy: none | best-effort | restricted | single-numa-node. */
  policy: string;
  /** topologyManagerScope: container (default) | pod. */
  scope?: string;
  /** topologyManagerPolicyOptions. Not read under the none policy, as upstream. */
  policyOptions?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** The machine's NUMA nodes (ids and distances): a MachineInfo will do. */
  machine: NUMAMachine;
  featureGates?: FeatureGateLookup;
  /** Deadline of each provider call during admission. */
  providerTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The topology manager: an admission step that merges the hint providers' NUMA hints
 * under the configured policy and scope, records the chosen hint per container and
 * has every provider allocate under it.
 *
 * Admissions run one at a time (as the kubelet admits pods one by one), so two pods
 * never interleave their hints and allocations.
 *
 * Unlike upstream, a machine with more than 8 NUMA nodes is not refused by default:
 * merging costs no more than the distinct affinities the hints can produce, and the
 * providers bound their hints (see README.md). An explicitly set max-allowable-numa-nodes
 * below the machine's node count is refused as upstream refuses it.
 */
export class TopologyManager {
  readonly policy: Policy;
  readonly scope: Scope;
  readonly options: PolicyOptions;
  readonly numa: NUMAInfo;
  private readonly store = new AffinityStore();
  private readonly allocations = new AllocationStore();
  private readonly logger: Logger;
  private readonly providerTimeoutMs: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(config: TopologyManagerConfig) {
    this.logger = (config.logger ?? pino({ level: 'silent' })).child({ component: 'topology-manager' });
    if (!isPolicyName(config.policy))
      throw new TopologyConfigError('topologyManagerPolicy', config.policy, `unknown policy "${config.policy}" (want ${POLICY_NAMES.join('|')})`);
    const scopeName = config.scope ?? 'container';
    if (!isScopeName(scopeName)) throw new TopologyConfigError('topologyManagerScope', scopeName, `unknown scope "${scopeName}" (want ${SCOPE_NAMES.join('|')})`);
    const timeout = config.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new TopologyConfigError('providerTimeoutMs', timeout, 'must be a positive number of milliseconds');
    this.providerTimeoutMs = timeout;
    this.numa = NUMAInfo.fromMachine(config.machine);

    if (config.policy === 'none') {
      this.options = DEFAULT_POLICY_OPTIONS;
      this.policy = createPolicy('none', this.numa, this.options);
      this.scope = new NoneScope();
      this.logger.info({ policy: 'none' }, 'creating topology manager');
      return;
    }
    this.options = parsePolicyOptions(config.policyOptions ?? {}, config.featureGates ? { featureGates: config.featureGates } : {});
    assertDistancesFor(this.numa, this.options);
    assertNUMANodesAllowed(this.options, this.numa.nodes.length);
    this.policy = createPolicy(config.policy, this.numa, this.options);
    this.scope = scopeName === 'pod' ? new PodScope() : new ContainerScope();
    this.logger.info(
      { policy: config.policy, scope: scopeName, preferClosestNUMA: this.options.preferClosestNUMA, numaNodes: this.numa.nodes.length },
      'creating topology manager',
    );
    const max = this.options.maxAllowableNUMANodes;
    if (max !== null && max > DEFAULT_MAX_ALLOWABLE_NUMA_NODES)
      this.logger.warn(
        { maxAllowableNUMANodes: max, defaultMaxAllowableNUMANodes: DEFAULT_MAX_ALLOWABLE_NUMA_NODES },
        'max-allowable-numa-nodes is above the upstream recommended value',
      );
    if (max === null && this.numa.nodes.length > DEFAULT_MAX_ALLOWABLE_NUMA_NODES)
      this.logger.info(
        { numaNodes: this.numa.nodes.length, defaultMaxAllowableNUMANodes: DEFAULT_MAX_ALLOWABLE_NUMA_NODES },
        'more NUMA nodes than the upstream default limit: upstream kubelet refuses to start here, kernelet merges hints without the state explosion',
      );
  }

  /**
   * Admits the pod or rejects it (TopologyAffinityError when the policy refuses the
   * best hint; a provider's own reason when it refuses to allocate;
   * UnexpectedAdmissionError when a provider fails or times out). On rejection the
   * pod's recorded hints are dropped and the providers release what they allocated.
   */
  admit(pod: Pod, providers: readonly HintProvider[]): Promise<AdmitResult> {
    const run = this.tail.then(() => this.admitNow(pod, providers));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The hint the container was allocated under, if it was admitted and not removed since. */
  getAffinity(podUID: string, containerName: string): TopologyHint | undefined {
    return this.store.get(podUID, containerName);
  }

  /**
   * What the providers allocated to the container, merged into the one allocation the
   * agent applies when it creates the container (cpusets, devices, env, mounts).
   */
  allocationFor(podUID: string, containerName: string): ContainerAllocation | undefined {
    const given = this.allocations.get(podUID, containerName);
    return given === undefined ? undefined : mergeAllocations(podUID, containerName, given);
  }

  removeContainer(podUID: string, containerName: string): void {
    this.store.removeContainer(podUID, containerName);
    this.allocations.removeContainer(podUID, containerName);
  }

  removePod(podUID: string): void {
    this.store.removePod(podUID);
    this.allocations.removePod(podUID);
  }

  private async admitNow(pod: Pod, providers: readonly HintProvider[]): Promise<AdmitResult> {
    const podUID = pod.metadata?.uid ?? '';
    const logger = this.logger.child({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, podUID });
    if (podUID === '') return rejected(UNEXPECTED_ADMISSION_ERROR, 'Topology admission failed due to a pod without metadata.uid, which is unexpected');
    const admission = new PodAdmission({
      pod,
      podUID,
      policy: this.policy,
      providers,
      store: this.store,
      allocations: this.allocations,
      deadlineMs: this.providerTimeoutMs,
      logger,
    });
    let result: AdmitResult;
    try {
      result = await this.scope.admit(admission);
    } catch (err) {
      logger.error({ err }, 'topology admission failed');
      result = rejected(UNEXPECTED_ADMISSION_ERROR, `Topology admission failed due to ${err instanceof Error ? err.message : String(err)}, which is unexpected`);
    }
    if (!result.admit) {
      logger.info({ reason: result.reason, message: result.message }, 'topology manager rejected pod');
      await admission.rollback();
    }
    return result;
  }
}
