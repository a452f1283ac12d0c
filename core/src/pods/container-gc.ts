import type { RuntimePod } from './runtime-status.js';

export interface GCPolicy {
  /** Dead containers kept per (pod, container name): upstream maximum-dead-containers-per-container (1). */
  maxPerPodContainer: number;
  /** Dead containers younger than this are kept (upstream minimum-container-ttl-duration, 0). */
  minAgeMs: number;
}

export const DEFAULT_GC_POLICY: GCPolicy = { maxPerPodContainer: 1, minAgeMs: 0 };

/**
 * What the container garbage collector removes (upstream kuberuntime_gc.go): for a pod that
 * still exists, dead containers beyond the newest `maxPerPodContainer` of each name (the
 * newest stays for the pod's status and `kubectl logs --previous`) and sandboxes that are not
 * ready and not the newest; for a pod that is gone, every dead container and sandbox.
 * Running containers and ready sandboxes are never collected here.
 */
export function selectGarbage(pods: ReadonlyMap<string, RuntimePod>, exists: (uid: string) => boolean, policy: GCPolicy, now: number): { containers: string[]; sandboxes: string[] } {
  const containers: string[] = [];
  const sandboxes: string[] = [];
  for (const [uid, pod] of pods) {
    const alive = exists(uid);
    const byName = new Map<string, { id: string; createdAt: number }[]>();
    for (const c of pod.containers) {
      if (c.state !== 'exited' || now - c.createdAt < policy.minAgeMs) continue;
      if (!alive) {
        containers.push(c.id);
        continue;
      }
      const list = byName.get(c.name) ?? [];
      list.push({ id: c.id, createdAt: c.createdAt });
      byName.set(c.name, list);
    }
    for (const list of byName.values()) {
      list.sort((a, b) => b.createdAt - a.createdAt);
      for (const c of list.slice(Math.max(0, policy.maxPerPodContainer))) containers.push(c.id);
    }
    const sorted = [...pod.sandboxes].sort((a, b) => b.createdAt - a.createdAt);
    const liveContainerSandboxes = new Set(pod.containers.filter((c) => !containers.includes(c.id)).map((c) => c.podSandboxId));
    sorted.forEach((s, i) => {
      if (s.state === 'ready') return;
      if (alive && i === 0) return;
      if (liveContainerSandboxes.has(s.id)) return;
      sandboxes.push(s.id);
    });
  }
  return { containers, sandboxes };
}
