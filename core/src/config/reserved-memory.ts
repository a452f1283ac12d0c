/**
 * reservedMemory: the Memory Manager's per-NUMA-node reservations.
 *
 * Every reservation names memory or hugepages-<size> with a non-zero amount, once per NUMA
 * node. With the Static policy, for each memory type the reservations on all NUMA nodes must
 * add up to what Node Allocatable reserves: kubeReserved + systemReserved, plus the hard
 * eviction threshold for memory (upstream: "Utilizing the NUMA-aware Memory Manager").
 */
import { Quantity, sumQuantities } from '@kernelet/sdk/common';
import { hardMemoryThreshold } from './eviction-thresholds.js';
import type { MemoryReservation } from './kubelet-configuration.js';
import { keyPath, type ProblemList } from './problem.js';

export interface ReservedMemorySettings {
  memoryManagerPolicy: string;
  reservedMemory?: MemoryReservation[];
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

export function isMemoryType(name: string): boolean {
  return name === 'memory' || /^hugepages-.+$/.test(name);
}

/** Duplicates, zero amounts and unknown memory types, whatever the policy. */
export function checkReservations(reservations: readonly MemoryReservation[], problems: ProblemList): void {
  const seen = new Set<string>();
  reservations.forEach((reservation, i) => {
    const at = keyPath('reservedMemory', i);
    for (const [type, amount] of Object.entries(reservation.limits)) {
      const limitAt = `${at}.limits[${type}]`;
      if (!isMemoryType(type)) {
        problems.add(limitAt, `memory type "${type}" on NUMA node ${reservation.numaNode} is not supported (want memory or hugepages-<size>)`);
      }
      if (Quantity.tryParse(amount)?.isZero() === true) {
        problems.add(limitAt, `reserved memory may not be zero (NUMA node ${reservation.numaNode})`);
      }
      const key = `${reservation.numaNode}/${type}`;
      if (seen.has(key)) problems.add(limitAt, `NUMA node ${reservation.numaNode} reserves ${type} more than once`);
      seen.add(key);
    }
  });
}

/**
 * The Static policy's sum rule. `memoryCapacity` is needed only when the hard eviction
 * threshold for memory is a percentage; without it that type is left to the machine check.
 */
export function checkReservedMemorySum(settings: ReservedMemorySettings, problems: ProblemList, memoryCapacity?: Quantity): void {
  if (settings.memoryManagerPolicy !== 'Static') return;
  const reservations = settings.reservedMemory ?? [];
  const reservedByType = new Map<string, Quantity[]>();
  for (const reservation of reservations) {
    for (const [type, amount] of Object.entries(reservation.limits)) {
      const quantity = Quantity.tryParse(amount);
      if (quantity !== undefined) reservedByType.set(type, [...(reservedByType.get(type) ?? []), quantity]);
    }
  }
  const nodeReservedByType = new Map<string, Quantity[]>();
  for (const source of [settings.kubeReserved, settings.systemReserved]) {
    for (const [type, amount] of Object.entries(source ?? {})) {
      const quantity = Quantity.tryParse(amount);
      if (isMemoryType(type) && quantity !== undefined) nodeReservedByType.set(type, [...(nodeReservedByType.get(type) ?? []), quantity]);
    }
  }
  const eviction = hardMemoryThreshold(settings.evictionHard);
  // An unreadable memory threshold is reported on its own; the sum cannot be checked without it.
  const evictionUnreadable = settings.evictionHard?.['memory.available'] !== undefined && eviction === undefined;
  let evictionMemory: Quantity | undefined;
  if (eviction !== undefined && 'quantity' in eviction) {
    evictionMemory = eviction.quantity;
  } else if (eviction !== undefined && memoryCapacity !== undefined) {
    // As the kubelet: capacity times the percentage held as a float32, truncated.
    evictionMemory = Quantity.fromValue(BigInt(Math.trunc(memoryCapacity.toNumber() * Math.fround(eviction.percentage / 100))), 'BinarySI');
  }

  const types = new Set([...reservedByType.keys(), ...nodeReservedByType.keys(), ...(eviction !== undefined ? ['memory'] : [])]);
  for (const type of [...types].sort()) {
    if (type === 'memory' && evictionUnreadable) continue;
    const expectedParts = [...(nodeReservedByType.get(type) ?? [])];
    if (type === 'memory' && eviction !== undefined) {
      if (evictionMemory === undefined) continue; // a percentage: needs the machine's capacity
      expectedParts.push(evictionMemory);
    }
    const reserved = sumQuantities(reservedByType.get(type) ?? []);
    const expected = sumQuantities(expectedParts);
    if (!reserved.equals(expected)) {
      const what = type === 'memory' ? 'memory' : type;
      const formula = type === 'memory' ? 'kubeReserved+systemReserved+evictionHard' : 'kubeReserved+systemReserved';
      problems.add(
        'reservedMemory',
        `sum of reserved ${what} on NUMA nodes (${reserved.toString()}) does not equal ${formula} (${expected.toString()})`,
      );
    }
  }
}
