import type { Pod } from './k8s-types.js';
import { Quantity } from './quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/**
 * The pod's QoS class, as the kubelet computes it: the class recorded in the pod's
 * status when there is one, otherwise derived from cpu/memory requests and limits
 * summed over init and app containers (zero quantities count as unset).
 */
export function podQOSClass(pod: Pod): QOSClass {
  const recorded = pod.status?.qosClass;
  if (recorded === 'Guaranteed' || recorded === 'Burstable' || recorded === 'BestEffort') return recorded;
  return computePodQOSClass(pod);
}

export function computePodQOSClass(pod: Pod): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const container of containers) {
    accumulate(container.resources?.requests, requests);
    const limitsFound = accumulate(container.resources?.limits, limits);
    if (!QOS_RESOURCES.every((r) => limitsFound.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (!limit || !limit.equals(request)) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Adds the positive cpu/memory quantities of one container into totals; returns the names it had. */
function accumulate(list: Record<string, string | number> | undefined, totals: Map<string, Quantity>): Set<string> {
  const found = new Set<string>();
  for (const name of QOS_RESOURCES) {
    const raw = list?.[name];
    if (raw === undefined) continue;
    const q = Quantity.tryParse(String(raw));
    if (!q || q.sign() <= 0) continue;
    found.add(name);
    const prior = totals.get(name);
    totals.set(name, prior ? prior.add(q) : q);
  }
  return found;
}
