import type { TopologyHint } from '@kernelet/sdk/common';

/** The hint each admitted container was allocated under, by pod UID and container name. */
export class AffinityStore {
  private readonly byPod = new Map<string, Map<string, TopologyHint>>();

  set(podUID: string, containerName: string, hint: TopologyHint): void {
    let containers = this.byPod.get(podUID);
    if (containers === undefined) this.byPod.set(podUID, (containers = new Map()));
    containers.set(containerName, hint);
  }

  get(podUID: string, containerName: string): TopologyHint | undefined {
    return this.byPod.get(podUID)?.get(containerName);
  }

  removeContainer(podUID: string, containerName: string): void {
    const containers = this.byPod.get(podUID);
    if (containers === undefined) return;
    containers.delete(containerName);
    if (containers.size === 0) this.byPod.delete(podUID);
  }

  removePod(podUID: string): void {
    this.byPod.delete(podUID);
  }

  /** Pod UIDs with at least one stored hint. */
  pods(): string[] {
    return [...this.byPod.keys()];
  }
}
