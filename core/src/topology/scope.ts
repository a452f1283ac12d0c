import type { Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import type { AdmitResult } from '../extension-points/admit-handler.js';
import type { Policy } from './policy.js';

/** The topologyManagerScope values. */
export const SCOPE_NAMES = ['container', 'pod'] as const;
export type ScopeName = (typeof SCOPE_NAMES)[number];

export function isScopeName(value: string): value is ScopeName {
  return (SCOPE_NAMES as readonly string[]).includes(value);
}

/** Upstream's rejection when the policy refuses the best hint. */
export const TOPOLOGY_AFFINITY_ERROR = 'TopologyAffinityError';
export const TOPOLOGY_AFFINITY_MESSAGE = 'Resources cannot be allocated with Topology locality';
/** Upstream's reason when a resource manager fails in a way it did not mean to. */
export const UNEXPECTED_ADMISSION_ERROR = 'UnexpectedAdmissionError';

export type GatheredHints = { ok: true; hints: ProviderHints[] } | { ok: false; result: AdmitResult };

/** What a scope may do while admitting one pod (implemented by PodAdmission). */
export interface AdmissionSteps {
  readonly pod: Pod;
  readonly policy: Policy;
  /** Every provider's hints, for one container or (no container) for the whole pod. */
  gatherHints(containerName?: string): Promise<GatheredHints>;
  /** Records the hint for the container, then has every provider allocate under it. A rejection, or undefined when all allocated. */
  allocate(containerName: string, hint: TopologyHint): Promise<AdmitResult | undefined>;
  /** Logs the policy's decision. */
  decided(hint: TopologyHint, admit: boolean, containerName?: string): void;
}

/** When hints are asked and how many merges a pod takes. */
export interface Scope {
  readonly name: ScopeName | 'none';
  admit(steps: AdmissionSteps): Promise<AdmitResult>;
}

/** Init containers (sidecars included), then app containers: the order the kubelet admits them in. */
export function admittedContainerNames(pod: Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
}
