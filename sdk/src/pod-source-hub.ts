import type { Pod } from './common/index.js';
import type { PodSink } from './define-plugin.js';

export type HubOperation = 'SET' | 'ADD' | 'UPDATE' | 'REMOVE';
export type HubListener = (op: HubOperation, pods: readonly Pod[]) => void;

/**
 * Keeps a pod source's current set and fans its changes out to every watcher. A new
 * watcher first gets a SET with the current set, but only once the source has
 * reported a full set: an empty SET sent before that would tell the agent the source
 * has no pods, and the agent would stop them.
 */
export class PodSourceHub implements PodSink {
  private readonly pods = new Map<string, Pod>();
  private readonly listeners = new Set<HubListener>();
  private seen = false;

  set(pods: readonly Pod[]): void {
    this.pods.clear();
    for (const pod of pods) this.pods.set(keyOf(pod), pod);
    this.seen = true;
    this.emit('SET', [...this.pods.values()]);
  }

  add(pods: readonly Pod[]): void {
    for (const pod of pods) this.pods.set(keyOf(pod), pod);
    this.emit('ADD', pods);
  }

  update(pods: readonly Pod[]): void {
    for (const pod of pods) this.pods.set(keyOf(pod), pod);
    this.emit('UPDATE', pods);
  }

  remove(pods: readonly Pod[]): void {
    for (const pod of pods) this.pods.delete(keyOf(pod));
    this.emit('REMOVE', pods);
  }

  watch(listener: HubListener): () => void {
    this.listeners.add(listener);
    if (this.seen) listener('SET', [...this.pods.values()]);
    return () => this.listeners.delete(listener);
  }

  private emit(op: HubOperation, pods: readonly Pod[]): void {
    if (!this.seen) return;
    for (const listener of this.listeners) listener(op, pods);
  }
}

function keyOf(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}
