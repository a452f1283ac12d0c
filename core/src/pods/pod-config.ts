import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '@kernelet/sdk/common';
import type { PodUpdate } from '../extension-points/pod-source.js';
import { ANNOTATION_CONFIG_MIRROR, ANNOTATION_CONFIG_SEEN, ANNOTATION_CONFIG_SOURCE, podFullName, podKey } from './pod-naming.js';

/** What the agent does with a merged change (upstream kubelet PodUpdate in incremental mode). */
export interface KubeletUpdate {
  op: 'ADD' | 'UPDATE' | 'REMOVE' | 'DELETE' | 'RECONCILE';
  pods: Pod[];
  source: string;
}

export interface PodConfigProblem {
  source: string;
  pod: string;
  message: string;
}

/** Annotations the agent keeps for itself: a change in them is not a change of the pod. */
const LOCAL_ANNOTATIONS = new Set([ANNOTATION_CONFIG_SOURCE, ANNOTATION_CONFIG_MIRROR, ANNOTATION_CONFIG_SEEN]);

/**
 * Merges the pod sources into one desired set (upstream config.go podStorage): each source
 * keeps its own pods by UID; a SET replaces the source's whole set (the missing pods are
 * removed, the changed ones updated); ADD, UPDATE, REMOVE and DELETE apply to the pods named.
 * Changes come out as removals first, then additions, updates, graceful deletions and
 * status-only reconciles, so a static pod replaced by an edit is stopped before its successor
 * starts. A source counts as seen after its first SET; pods of the node are only cleaned up
 * once every expected source has been seen.
 */
export class PodConfig {
  private readonly sources = new Map<string, Map<string, Pod>>();
  private readonly seen = new Set<string>();

  constructor(private readonly onProblem: (problem: PodConfigProblem) => void = () => undefined) {}

  merge(update: PodUpdate): KubeletUpdate[] {
    const source = update.source;
    const existing = this.sources.get(source) ?? new Map<string, Pod>();
    this.sources.set(source, existing);
    const firstSet = update.op === 'SET' && !this.seen.has(source);
    const adds: Pod[] = [];
    const updates: Pod[] = [];
    const deletes: Pod[] = [];
    const removes: Pod[] = [];
    const reconciles: Pod[] = [];

    const apply = (pods: readonly Pod[], into: Map<string, Pod>, from: Map<string, Pod>) => {
      for (const pod of this.filterInvalid(pods, source)) {
        const uid = pod.metadata?.uid ?? '';
        const before = from.get(uid);
        if (!before) {
          into.set(uid, pod);
          adds.push(pod);
          continue;
        }
        into.set(uid, pod);
        const change = classify(before, pod);
        if (change === 'update') updates.push(pod);
        else if (change === 'delete') deletes.push(pod);
        else if (change === 'reconcile') reconciles.push(pod);
        else into.set(uid, before);
      }
    };

    switch (update.op) {
      case 'ADD':
      case 'UPDATE':
      case 'DELETE':
        apply(update.pods, existing, existing);
        break;
      case 'REMOVE':
        for (const pod of update.pods) {
          const uid = pod.metadata?.uid ?? '';
          const before = existing.get(uid);
          if (before) {
            existing.delete(uid);
            removes.push(before);
          }
        }
        break;
      case 'SET': {
        const next = new Map<string, Pod>();
        apply(update.pods, next, existing);
        for (const [uid, pod] of existing) if (!next.has(uid)) removes.push(pod);
        this.sources.set(source, next);
        this.seen.add(source);
        break;
      }
      case 'RECONCILE':
        break;
    }

    const out: KubeletUpdate[] = [];
    if (removes.length > 0) out.push({ op: 'REMOVE', pods: removes, source });
    if (adds.length > 0) out.push({ op: 'ADD', pods: adds, source });
    if (updates.length > 0) out.push({ op: 'UPDATE', pods: updates, source });
    if (deletes.length > 0) out.push({ op: 'DELETE', pods: deletes, source });
    // An empty ADD tells the agent the source is ready even when it has no pods.
    if (firstSet && adds.length === 0 && updates.length === 0 && deletes.length === 0) out.push({ op: 'ADD', pods: [], source });
    if (reconciles.length > 0) out.push({ op: 'RECONCILE', pods: reconciles, source });
    return out;
  }

  /** The source's stream ended: its pods stay, but it must send a full set again. */
  markUnseen(source: string): void {
    this.seen.delete(source);
  }

  seenAll(expected: readonly string[]): boolean {
    return expected.every((s) => this.seen.has(s));
  }

  seenSources(): string[] {
    return [...this.seen].sort();
  }

  /** Every pod of every source. */
  all(): Pod[] {
    return [...this.sources.values()].flatMap((m) => [...m.values()]);
  }

  /** Drops pods with a full name already taken earlier in the same update (upstream filterInvalidPods). */
  private filterInvalid(pods: readonly Pod[], source: string): Pod[] {
    const names = new Set<string>();
    const out: Pod[] = [];
    for (const pod of pods) {
      if (!pod.metadata?.uid) {
        this.onProblem({ source, pod: podKey(pod), message: 'pod has no UID; ignoring it' });
        continue;
      }
      const name = podFullName(pod);
      if (names.has(name)) {
        this.onProblem({ source, pod: podKey(pod), message: `Error validating pod ${podKey(pod)} from ${source} due to duplicate pod name "${pod.metadata?.name ?? ''}", ignoring` });
        continue;
      }
      names.add(name);
      out.push(pod);
    }
    return out;
  }
}

/** upstream checkAndUpdatePod: what changed between two versions of one pod. */
function classify(before: Pod, after: Pod): 'none' | 'update' | 'delete' | 'reconcile' {
  const differ =
    !isDeepStrictEqual(before.spec, after.spec) ||
    !isDeepStrictEqual(before.metadata?.labels ?? {}, after.metadata?.labels ?? {}) ||
    before.metadata?.deletionTimestamp !== after.metadata?.deletionTimestamp ||
    before.metadata?.deletionGracePeriodSeconds !== after.metadata?.deletionGracePeriodSeconds ||
    !isDeepStrictEqual(userAnnotations(before), userAnnotations(after));
  if (!differ) return isDeepStrictEqual(before.status, after.status) ? 'none' : 'reconcile';
  return after.metadata?.deletionTimestamp ? 'delete' : 'update';
}

function userAnnotations(pod: Pod): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata?.annotations ?? {})) if (!LOCAL_ANNOTATIONS.has(k)) out[k] = v;
  return out;
}
