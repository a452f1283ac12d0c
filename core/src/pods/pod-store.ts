import { injectable } from 'inversify';
import type { Pod, QOSClass } from '@kernelet/sdk/common';
import { podQOSClass } from '@kernelet/sdk/common';

export interface PodRecord {
  pod: Pod;
  qosClass: QOSClass;
  priority: number;
  /** Set once the agent has been asked to stop the pod. */
  terminating: boolean;
}

export interface TerminateRequest {
  podUID: string;
  phase: 'Failed' | 'Succeeded';
  reason: string;
  message: string;
  gracePeriodSeconds?: number;
}

/**
 * The pods admitted to this node, as plugins see them through the Host API. Terminating a
 * pod records its final phase, reason and message in its status; whoever runs the pod's
 * containers subscribes to act on it.
 */
@injectable()
export class PodStore {
  /**
   * True once every pod source has been heard from: only then is a pod missing from the
   * store really gone (plugins drop state for absent pods only when it is set).
   */
  synced = false;
  private readonly pods = new Map<string, PodRecord>();
  private readonly terminateListeners = new Set<(record: PodRecord, request: TerminateRequest) => void>();

  add(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no uid`);
    this.pods.set(uid, { pod, qosClass: podQOSClass(pod), priority: pod.spec?.priority ?? 0, terminating: false });
  }

  remove(uid: string): void {
    this.pods.delete(uid);
  }

  get(uid: string): PodRecord | undefined {
    return this.pods.get(uid);
  }

  list(): PodRecord[] {
    return [...this.pods.values()];
  }

  /** Marks the pod terminating with its final status; false when the pod is unknown. */
  terminate(request: TerminateRequest): boolean {
    const record = this.pods.get(request.podUID);
    if (!record) return false;
    if (record.terminating) return true;
    record.terminating = true;
    record.pod = {
      ...record.pod,
      status: { ...record.pod.status, phase: request.phase, reason: request.reason, message: request.message },
    };
    for (const listener of this.terminateListeners) listener(record, request);
    return true;
  }

  onTerminate(listener: (record: PodRecord, request: TerminateRequest) => void): () => void {
    this.terminateListeners.add(listener);
    return () => this.terminateListeners.delete(listener);
  }
}
