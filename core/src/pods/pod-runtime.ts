import type { Pod } from '@kernelet/sdk/common';
import type { WaitingReason } from './pod-status.js';
import type { RuntimePod, RuntimePodStatus } from './runtime-status.js';

/** A pod volume on the host. */
export interface HostVolume {
  hostPath: string;
  readOnly: boolean;
}

/** The pod's volumes as prepared on the host, and those the agent cannot provide (with why). */
export interface PodVolumes {
  volumes: ReadonlyMap<string, HostVolume>;
  unsupported: ReadonlyMap<string, string>;
}

export interface PodSyncResult {
  /** Per container name: the waiting reason to show, or null when it started (clears the reason). */
  reasons: Map<string, WaitingReason | null>;
  /** The first failure of the sync, if any. */
  error?: Error;
  /** When a backoff (crash loop, image pull) ends: sync again then. */
  requeueAfterMs?: number;
}

/**
 * Runs pods on a container runtime (upstream kubecontainer.Runtime, the kuberuntime manager).
 * The pod workers call it; a fake implementation drives them in unit tests.
 */
export interface PodRuntime {
  /** The runtime's name, the prefix of container IDs in statuses ("containerd://..."). */
  readonly runtimeName: string;
  /** Brings the pod's sandbox and containers to its spec (one step: init containers run one per sync). */
  syncPod(pod: Pod, status: RuntimePodStatus, volumes: PodVolumes): Promise<PodSyncResult>;
  /** Stops every container (preStop hooks, grace period) and every sandbox of the pod. */
  killPod(pod: Pod | undefined, running: RuntimePod | RuntimePodStatus, gracePeriodOverrideSeconds?: number): Promise<void>;
  /** Removes every container and sandbox of the pod from the runtime. */
  removePod(uid: string): Promise<void>;
  removeContainers(ids: readonly string[]): Promise<void>;
  /** Stops and removes sandboxes (their containers must be gone). */
  removeSandboxes(ids: readonly string[]): Promise<void>;
  /** Every pod the runtime knows, by UID. */
  listPods(): Promise<Map<string, RuntimePod>>;
  /** One pod's status, asked of the runtime directly. */
  podStatus(uid: string, name: string, namespace: string): Promise<RuntimePodStatus>;
  /** Forgets the pod's backoffs. */
  forgetPod(uid: string): void;
}
export const PodRuntime = Symbol('PodRuntime');
