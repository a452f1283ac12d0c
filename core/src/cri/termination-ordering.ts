import type { Pod } from '@kernelet/sdk/common';
import { isRestartableInitContainer } from '../pods/pod-naming.js';

/**
 * The order in which a pod with sidecars stops (upstream terminationOrdering): the app
 * containers at once; each sidecar once every app container and every sidecar defined after
 * it have stopped, so a sidecar still serves the containers that use it while they shut
 * down. Nobody waits longer than its grace period: a container that does not stop in time
 * only delays the others until then.
 */
export class TerminationOrdering {
  /** Resolved when the container with that name has stopped (at once for one not running). */
  private readonly stopped = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly prerequisites = new Map<string, Promise<void>[]>();

  constructor(pod: Pod, runningNames: Iterable<string>) {
    const running = new Set(runningNames);
    const track = (name: string): Promise<void> => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.stopped.set(name, { promise, resolve });
      if (!running.has(name)) resolve();
      return promise;
    };
    const apps = (pod.spec?.containers ?? []).map((c) => track(c.name));
    let later: Promise<void> | undefined;
    const inits = pod.spec?.initContainers ?? [];
    for (let i = inits.length - 1; i >= 0; i--) {
      const init = inits[i];
      if (!init) continue;
      const stopped = track(init.name);
      if (!isRestartableInitContainer(init)) continue;
      this.prerequisites.set(init.name, later ? [...apps, later] : [...apps]);
      later = stopped;
    }
  }

  /**
   * Waits until the container may stop, at most `graceSeconds`; resolves with the whole
   * seconds waited (upstream truncates them too), to take off the container's grace period.
   */
  async waitForTurn(name: string, graceSeconds: number): Promise<number> {
    const prerequisites = this.prerequisites.get(name);
    if (graceSeconds <= 0 || !prerequisites || prerequisites.length === 0) return 0;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((r) => (timer = setTimeout(r, graceSeconds * 1000)));
    await Promise.race([Promise.all(prerequisites), expired]);
    clearTimeout(timer);
    return Math.floor((performance.now() - started) / 1000);
  }

  /** The container has stopped: those waiting for it may go. */
  containerStopped(name: string): void {
    this.stopped.get(name)?.resolve();
  }
}
