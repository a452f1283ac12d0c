import { injectable } from 'inversify';
import type { Pod, PodStatus } from '@kernelet/sdk/common';
import { podFullName } from './pod-naming.js';

/**
 * The pods the node should run, as the pod sources say (upstream pod manager), with the
 * status the agent last computed for each (upstream status manager): what `GET /pods` and
 * `kernelet pods` show, rejected pods included (phase Failed with the rejection).
 */
@injectable()
export class PodManager {
  private readonly pods = new Map<string, Pod>();
  private readonly statuses = new Map<string, PodStatus>();

  set(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (uid) this.pods.set(uid, pod);
  }

  remove(uid: string): void {
    this.pods.delete(uid);
  }

  get(uid: string): Pod | undefined {
    return this.pods.get(uid);
  }

  has(uid: string): boolean {
    return this.pods.has(uid);
  }

  byFullName(fullName: string): Pod | undefined {
    for (const pod of this.pods.values()) if (podFullName(pod) === fullName) return pod;
    return undefined;
  }

  list(): Pod[] {
    return [...this.pods.values()];
  }

  setStatus(uid: string, status: PodStatus): void {
    this.statuses.set(uid, status);
  }

  status(uid: string): PodStatus | undefined {
    return this.statuses.get(uid);
  }

  deleteStatus(uid: string): void {
    this.statuses.delete(uid);
  }

  /** Pods with their status, in name order. */
  listWithStatus(): Pod[] {
    return this.list()
      .map((pod) => ({ ...pod, status: this.statuses.get(pod.metadata?.uid ?? '') ?? pod.status ?? { phase: 'Pending' } }))
      .sort((a, b) => podFullName(a).localeCompare(podFullName(b)));
  }
}
