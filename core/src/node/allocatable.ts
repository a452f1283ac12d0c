import { CPUSet, Quantity } from '@kernelet/sdk/common';

export type ResourceMap = ReadonlyMap<string, Quantity>;

export interface AllocatableInputs {
  capacity: ResourceMap;
  kubeReserved?: Readonly<Record<string, string>> | undefined;
  systemReserved?: Readonly<Record<string, string>> | undefined;
  /** reservedSystemCPUs (a cpu list): when set, it replaces the cpu of kubeReserved and systemReserved. */
  reservedSystemCPUs?: string | undefined;
  /** evictionHard: signal -> "100Mi" or "10%". */
  evictionHard?: Readonly<Record<string, string>> | undefined;
}

/** The eviction signals that reserve a resource (upstream hardEvictionReservation). */
const SIGNAL_RESOURCE: Readonly<Record<string, string>> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'pid.available': 'pid',
};

/** What the hard eviction thresholds hold back, per resource. */
export function hardEvictionReservation(evictionHard: Readonly<Record<string, string>> | undefined, capacity: ResourceMap): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [signal, text] of Object.entries(evictionHard ?? {})) {
    const resource = SIGNAL_RESOURCE[signal];
    if (!resource) continue;
    let amount: Quantity | undefined;
    if (text.endsWith('%')) {
      const cap = capacity.get(resource);
      const pct = Number(text.slice(0, -1));
      if (!cap || !Number.isFinite(pct)) continue;
      // percentage of capacity, rounded down to whole units as upstream (int64(float64(cap) * pct))
      amount = Quantity.fromValue(BigInt(Math.floor(Number(cap.value()) * (pct / 100))), cap.format);
    } else {
      amount = Quantity.tryParse(text);
    }
    if (amount) out.set(resource, (out.get(resource) ?? Quantity.zero(amount.format)).add(amount));
  }
  return out;
}

/**
 * kubeReserved and systemReserved as the kubelet applies them: reservedSystemCPUs, when
 * it names CPUs, overwrites their cpu (kubeReserved loses it, systemReserved gets the
 * number of reserved CPUs).
 */
export function effectiveReservations(inputs: AllocatableInputs): { kubeReserved: Record<string, string>; systemReserved: Record<string, string> } {
  const kubeReserved = { ...inputs.kubeReserved };
  const systemReserved = { ...inputs.systemReserved };
  const reservedCPUs = inputs.reservedSystemCPUs?.trim() ? CPUSet.parse(inputs.reservedSystemCPUs).size : 0;
  if (reservedCPUs > 0) {
    delete kubeReserved['cpu'];
    systemReserved['cpu'] = String(reservedCPUs);
  }
  return { kubeReserved, systemReserved };
}

/** kubeReserved + systemReserved + hard eviction thresholds, per resource. */
export function allocatableReservation(inputs: AllocatableInputs): Map<string, Quantity> {
  const total = new Map<string, Quantity>();
  const add = (name: string, q: Quantity) => total.set(name, (total.get(name) ?? Quantity.zero(q.format)).add(q));
  const { kubeReserved, systemReserved } = effectiveReservations(inputs);
  for (const reserved of [kubeReserved, systemReserved]) {
    for (const [name, text] of Object.entries(reserved ?? {})) {
      const q = Quantity.tryParse(text);
      if (q) add(name, q);
    }
  }
  for (const [name, q] of hardEvictionReservation(inputs.evictionHard, inputs.capacity)) add(name, q);
  return total;
}

/**
 * Node allocatable = capacity − kubeReserved − systemReserved − hard eviction thresholds,
 * never below zero (upstream cm getNodeAllocatableAbsolute with eviction). "Reserve Compute
 * Resources for System Daemons": 16 CPUs, 32Gi and 100Gi with cpu 1/500m, memory 2Gi/1Gi,
 * storage 1Gi/1Gi reserved and evictionHard memory.available 500Mi, nodefs.available 10%
 * leave 14.5 CPUs, 28.5Gi and 88Gi.
 */
export function nodeAllocatable(inputs: AllocatableInputs): Map<string, Quantity> {
  const reservation = allocatableReservation(inputs);
  const out = new Map<string, Quantity>();
  for (const [name, cap] of inputs.capacity) {
    const reserved = reservation.get(name);
    let left = reserved ? cap.sub(reserved) : cap;
    if (left.sign() < 0) left = Quantity.zero(cap.format);
    out.set(name, left.withFormat(cap.format));
  }
  return out;
}

/** The part of allocatable the /kubepods cgroup is limited to: capacity − reservations, without eviction thresholds (upstream). */
export function kubepodsLimits(inputs: AllocatableInputs): Map<string, Quantity> {
  return nodeAllocatable({ ...inputs, evictionHard: {} });
}

export function resourceMapToJSON(map: ResourceMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...map.keys()].sort()) out[name] = (map.get(name) as Quantity).toString();
  return out;
}
