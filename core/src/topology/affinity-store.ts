import type { ContainerAllocation, TopologyHint } from '@kernelet/sdk/common';

/** Values by pod UID and container name. */
export class PodContainerMap<T> {
  private readonly byPod = new Map<string, Map<string, T>>();

  set(podUID: string, containerName: string, value: T): void {
    let containers = this.byPod.get(podUID);
    if (containers === undefined) this.byPod.set(podUID, (containers = new Map()));
    containers.set(containerName, value);
  }

  get(podUID: string, containerName: string): T | undefined {
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

  /** Pod UIDs with at least one stored value. */
  pods(): string[] {
    return [...this.byPod.keys()];
  }
}

/** The hint each admitted container was allocated under. */
export class AffinityStore extends PodContainerMap<TopologyHint> {}

/** What each provider allocated to each admitted container, in provider order. */
export class AllocationStore extends PodContainerMap<ContainerAllocation[]> {}
