import type { Pod } from '@kernelet/sdk/common';
import { podRequests, Quantity } from '@kernelet/sdk/common';

/** A resource the node does not have enough of (upstream InsufficientResourceError). */
export interface InsufficientResource {
  resource: string;
  requested: bigint;
  used: bigint;
  capacity: bigint;
}

/** upstream reasons: OutOfcpu, OutOfmemory, OutOfephemeral-storage, OutOfpods, OutOf<extended resource>. */
export function insufficientReason(r: InsufficientResource): string {
  return `OutOf${r.resource}`;
}

export function insufficientMessage(r: InsufficientResource): string {
  return `Node didn't have enough resource: ${r.resource}, requested: ${r.requested}, used: ${r.used}, capacity: ${r.capacity}`;
}

const NATIVE = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods', 'storage']);

/** Extended resources are domain-qualified names outside kubernetes.io (upstream IsExtendedResourceName). */
export function isExtendedResource(name: string): boolean {
  if (NATIVE.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.')) return false;
  return name.includes('/') && !name.startsWith('kubernetes.io/');
}

/** cpu in millicores, everything else in whole units, as the scheduler's NodeInfo counts. */
function amount(name: string, q: Quantity | undefined): bigint {
  if (!q) return 0n;
  return name === 'cpu' ? q.milliValue() : q.value();
}

/**
 * Whether the pod fits next to the pods already admitted (upstream GeneralPredicates'
 * noderesources fitsRequest): the pod count against allocatable pods, then cpu, memory,
 * ephemeral-storage and every other requested resource against allocatable minus what the
 * admitted pods request. Extended resources the node does not advertise are ignored
 * (cluster-level resources). Returns every shortfall; the first is the rejection.
 */
export function podFitsResources(pod: Pod, admitted: readonly Pod[], allocatable: ReadonlyMap<string, Quantity>): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const allowedPods = amount('pods', allocatable.get('pods'));
  if (BigInt(admitted.length + 1) > allowedPods) out.push({ resource: 'pods', requested: 1n, used: BigInt(admitted.length), capacity: allowedPods });

  const request = podRequests(pod);
  for (const name of [...request.keys()]) {
    if (isExtendedResource(name) && !allocatable.has(name)) request.delete(name);
  }
  if (request.size === 0) return out;
  const used = new Map<string, bigint>();
  for (const other of admitted) {
    for (const [name, q] of podRequests(other)) used.set(name, (used.get(name) ?? 0n) + amount(name, q));
  }
  const order = ['cpu', 'memory', 'ephemeral-storage', ...[...request.keys()].filter((n) => !['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(n)).sort()];
  for (const name of order) {
    const requested = amount(name, request.get(name));
    if (requested <= 0n) continue;
    const capacity = amount(name, allocatable.get(name));
    const inUse = used.get(name) ?? 0n;
    if (requested > capacity - inUse) out.push({ resource: name, requested, used: inUse, capacity });
  }
  return out;
}
