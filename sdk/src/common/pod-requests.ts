import type { Container, Pod } from './k8s-types.js';
import { Quantity } from './quantity.js';

/** Resource name to quantity. */
export type ResourceList = Map<string, Quantity>;

/** A container's requests (as written; the pod source has already defaulted requests from limits). */
export function containerRequests(container: Container): ResourceList {
  return toResourceList(container.resources?.requests);
}

export function containerLimits(container: Container): ResourceList {
  return toResourceList(container.resources?.limits);
}

/**
 * The pod's effective requests, as the kubelet and scheduler compute them (upstream
 * component-helpers PodRequests): max(sum of app containers + restartable init (sidecar)
 * containers, each regular init container plus the sidecars started before it), plus overhead.
 */
export function podRequests(pod: Pod): ResourceList {
  const total = aggregate(pod, containerRequests);
  addInto(total, toResourceList(pod.spec?.overhead));
  return total;
}

/**
 * The pod's effective limits (upstream PodLimits), aggregated as podRequests aggregates
 * requests; the overhead is added only to the resources that have a limit.
 */
export function podLimits(pod: Pod): ResourceList {
  const total = aggregate(pod, containerLimits);
  for (const [name, q] of toResourceList(pod.spec?.overhead)) {
    const prior = total.get(name);
    if (prior) total.set(name, prior.add(q));
  }
  return total;
}

/**
 * Sidecars run beside the app containers, so they add to the app sum; each regular init
 * container runs beside the sidecars defined before it, so those add to its own amount.
 */
function aggregate(pod: Pod, of: (container: Container) => ResourceList): ResourceList {
  const total: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(total, of(c));

  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = of(c);
    let demand: ResourceList;
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      demand = sidecars;
    } else {
      demand = new Map(own);
      addInto(demand, sidecars);
    }
    maxInto(initPeak, demand);
  }
  maxInto(total, initPeak);
  return total;
}

function toResourceList(raw: Record<string, string | number> | undefined): ResourceList {
  const list: ResourceList = new Map();
  for (const [name, value] of Object.entries(raw ?? {})) {
    const q = Quantity.tryParse(String(value));
    if (q) list.set(name, q);
  }
  return list;
}

function addInto(target: ResourceList, source: ResourceList): void {
  for (const [name, q] of source) {
    const prior = target.get(name);
    target.set(name, prior ? prior.add(q) : q);
  }
}

function maxInto(target: ResourceList, source: ResourceList): void {
  for (const [name, q] of source) {
    const prior = target.get(name);
    if (!prior || q.cmp(prior) > 0) target.set(name, q);
  }
}
