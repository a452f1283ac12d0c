import { emptyPodStatus, type RuntimePodStatus } from '../pods/runtime-status.js';

/** A monotonic clock in milliseconds since the epoch (fractional). */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

interface Entry {
  status: RuntimePodStatus;
  error: Error | undefined;
  modified: number;
}

interface Waiter {
  minTime: number;
  resolve: (entry: { status: RuntimePodStatus; error: Error | undefined }) => void;
}

/**
 * The runtime status of every pod, as the PLEG last saw it (upstream kubecontainer.Cache).
 * A pod worker asks for a status newer than its last sync and waits until the PLEG has
 * looked again: it never acts twice on the same stale picture. The cache's global time
 * says "every pod is known up to here": a pod the runtime has nothing for is then known to
 * have nothing.
 */
export class PodStatusCache {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, Waiter[]>();
  private timestamp: number | undefined;
  /** Called when a worker has to wait for a newer status: the PLEG relists soon rather than at its period. */
  onStale: ((uid: string) => void) | undefined;

  get(uid: string): { status: RuntimePodStatus; error: Error | undefined } {
    const entry = this.entries.get(uid);
    return entry ? { status: entry.status, error: entry.error } : { status: emptyPodStatus(uid), error: undefined };
  }

  /** Resolves with the pod's status once it is newer than minTime. */
  getNewerThan(uid: string, minTime: number): Promise<{ status: RuntimePodStatus; error: Error | undefined }> {
    const ready = this.fresh(uid, minTime);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const list = this.waiters.get(uid) ?? [];
      list.push({ minTime, resolve });
      this.waiters.set(uid, list);
      this.onStale?.(uid);
    });
  }

  set(uid: string, status: RuntimePodStatus, error: Error | undefined, modified: number): void {
    const before = this.entries.get(uid);
    if (before && before.modified > modified) return;
    this.entries.set(uid, { status, error, modified });
    this.notify(uid);
  }

  /** Every pod is known up to time. */
  updateTime(time: number): void {
    this.timestamp = time;
    for (const uid of [...this.waiters.keys()]) this.notify(uid);
  }

  delete(uid: string): void {
    this.entries.delete(uid);
  }

  uids(): string[] {
    return [...this.entries.keys()];
  }

  private fresh(uid: string, minTime: number): { status: RuntimePodStatus; error: Error | undefined } | undefined {
    const entry = this.entries.get(uid);
    if (entry && entry.modified > minTime) return { status: entry.status, error: entry.error };
    if (this.timestamp !== undefined && this.timestamp > minTime) return entry ? { status: entry.status, error: entry.error } : { status: emptyPodStatus(uid), error: undefined };
    return undefined;
  }

  private notify(uid: string): void {
    const list = this.waiters.get(uid);
    if (!list) return;
    const remaining: Waiter[] = [];
    for (const waiter of list) {
      const ready = this.fresh(uid, waiter.minTime);
      if (ready) waiter.resolve(ready);
      else remaining.push(waiter);
    }
    if (remaining.length > 0) this.waiters.set(uid, remaining);
    else this.waiters.delete(uid);
  }
}
