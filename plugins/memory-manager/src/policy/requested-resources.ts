/**
 * How much of each memory type a container, or a whole pod, asks the memory manager
 * for. Only `memory` and `hugepages-<size>` count, in whole bytes.
 *
 * This is not the sdk's podRequests: the memory manager leaves pod overhead out and
 * counts only memory types the app containers ask for, as the kubelet does.
 */
import type { Container, Pod } from '@kernelet/sdk/common';
import { Quantity } from '@kernelet/sdk/common';

import { isMemoryType, type MemoryType } from '../state/memory-state.js';

export type MemoryRequests = Map<MemoryType, number>;

export class RequestError extends Error {
  override readonly name = 'RequestError';
}

export function isRestartableInitContainer(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

/** A container of the pod by name, app or init, and whether it is an init container. */
export function findContainer(pod: Pod, name: string): { container: Container; init: boolean } | undefined {
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  if (init) return { container: init, init: true };
  const app = pod.spec?.containers?.find((c) => c.name === name);
  return app ? { container: app, init: false } : undefined;
}

/** Whether the regular (not restartable) init container of the pod by this name exists. */
export function isRegularInitContainer(pod: Pod, name: string): boolean {
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  return init !== undefined && !isRestartableInitContainer(init);
}

/**
 * The container's memory requests. With in-place resize, what the container was
 * admitted with (status.allocatedResources) counts, not a pending resize.
 */
export function containerMemoryRequests(pod: Pod, container: Container, gates: Readonly<Record<string, boolean>>): MemoryRequests {
  let resources: Record<string, string | number> | undefined = container.resources?.requests;
  if (gates['InPlacePodVerticalScaling']) {
    const statuses = [
      ...(pod.status?.containerStatuses ?? []),
      ...(isRestartableInitContainer(container) ? (pod.status?.initContainerStatuses ?? []) : []),
    ];
    const allocated = (statuses.find((s) => s.name === container.name) as { allocatedResources?: Record<string, string | number> } | undefined)
      ?.allocatedResources;
    if (allocated) resources = allocated;
  }
  const requests: MemoryRequests = new Map();
  for (const [name, raw] of Object.entries(resources ?? {})) {
    if (!isMemoryType(name)) continue;
    const q = Quantity.tryParse(String(raw));
    if (!q || q.sign() < 0) throw new RequestError(`container "${container.name}" requests ${name} ${JSON.stringify(raw)}, not a quantity`);
    if (q.nanos % 1_000_000_000n !== 0n) {
      throw new RequestError(`container "${container.name}" requests ${name} ${q.toString()}, not a whole number of bytes`);
    }
    const bytes = Number(q.value());
    if (!Number.isSafeInteger(bytes)) throw new RequestError(`container "${container.name}" requests ${name} ${q.toString()}, too large`);
    requests.set(name, bytes);
  }
  return requests;
}

/**
 * The pod's memory requests: per type, the larger of what runs for the pod's life
 * (app containers plus restartable init containers) and the peak of the init phase
 * (each regular init container plus the restartable ones started before it).
 */
export function podMemoryRequests(pod: Pod, gates: Readonly<Record<string, boolean>>): MemoryRequests {
  const initPeak: MemoryRequests = new Map();
  const sidecars: MemoryRequests = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [type, size] of containerMemoryRequests(pod, c, gates)) {
      if (isRestartableInitContainer(c)) sidecars.set(type, (sidecars.get(type) ?? 0) + size);
      else initPeak.set(type, Math.max(initPeak.get(type) ?? 0, (sidecars.get(type) ?? 0) + size));
      if (!initPeak.has(type)) initPeak.set(type, 0);
    }
  }
  const app: MemoryRequests = new Map();
  for (const c of pod.spec?.containers ?? []) {
    for (const [type, size] of containerMemoryRequests(pod, c, gates)) app.set(type, (app.get(type) ?? 0) + size);
  }
  const total: MemoryRequests = new Map();
  for (const [type, size] of app) total.set(type, Math.max(size + (sidecars.get(type) ?? 0), initPeak.get(type) ?? 0));
  return total;
}

/** Pod-level resources (spec.resources) for cpu, memory or hugepages, which the Static policy does not handle. */
export function usesPodLevelResources(pod: Pod): boolean {
  const resources = (pod.spec as { resources?: { requests?: object; limits?: object } } | undefined)?.resources;
  const names = [...Object.keys(resources?.requests ?? {}), ...Object.keys(resources?.limits ?? {})];
  return names.some((name) => name === 'cpu' || isMemoryType(name));
}
