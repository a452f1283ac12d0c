import type { Pod } from '@kernelet/sdk/common';

/** The kubelet's PodOperation values. */
export type PodOperation = 'SET' | 'ADD' | 'DELETE' | 'REMOVE' | 'UPDATE' | 'RECONCILE';

export interface PodUpdate {
  op: PodOperation;
  pods: readonly Pod[];
  /** "file", "http", "api", or a plugin's own source name. */
  source: string;
}

export interface PodSubscription {
  close(): void;
}

/**
 * A source of pods. The first update of every watch is a SET with the source's full
 * set, which marks the source as seen.
 *
 * Failure policy: when a plugin source's stream breaks, its pods stay as they are
 * (nothing is killed for a source that went quiet), the source is marked unseen, and
 * the agent watches again when the plugin is back.
 */
export interface PodSource {
  readonly name: string;
  watch(onUpdate: (update: PodUpdate) => void, onEnd: (error?: Error) => void): PodSubscription;
}
export const PodSource = Symbol('PodSource');
export const POD_SOURCE_SERVICE = 'v1alpha1.PodSource';
