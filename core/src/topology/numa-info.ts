import type { MachineNUMANode, NUMAMask } from '@kernelet/sdk/common';
import { maskIds, maskOf } from '@kernelet/sdk/common';
import { TopologyConfigError } from './topology-config-error.js';

/** What the topology manager needs of a machine: its NUMA node ids and distances. */
export interface NUMAMachine {
  numaNodes: readonly Pick<MachineNUMANode, 'id' | 'distances'>[];
}

/**
 * The machine's NUMA nodes as the topology manager sees them: their ids, the
 * "any node" mask, and the distances between them (for prefer-closest-numa-nodes).
 *
 * Distances are looked up by node id. Upstream indexes the distance row read from
 * sysfs by node id too, which only works when ids are dense; keyed lookups give the
 * same answer there and a sensible one on machines with sparse ids.
 */
export class NUMAInfo {
  /** Ascending. */
  readonly nodes: readonly number[];
  /** Every node: what a hint without affinity (null) stands for. */
  readonly defaultMask: NUMAMask;
  private readonly distances: ReadonlyMap<number, ReadonlyMap<number, number>>;

  constructor(nodes: Iterable<number>, distances: ReadonlyMap<number, ReadonlyMap<number, number>> = new Map()) {
    const ids = [...nodes];
    const seen = new Set<number>();
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) throw new TopologyConfigError('numaNodes', id, `invalid NUMA node id ${JSON.stringify(id)}`);
      if (seen.has(id)) throw new TopologyConfigError('numaNodes', id, `duplicate NUMA node id ${id}`);
      seen.add(id);
    }
    if (ids.length === 0) throw new TopologyConfigError('numaNodes', ids, 'the machine has no NUMA nodes');
    this.nodes = ids.sort((a, b) => a - b);
    this.defaultMask = maskOf(this.nodes);
    this.distances = distances;
  }

  static fromMachine(machine: NUMAMachine): NUMAInfo {
    return new NUMAInfo(
      machine.numaNodes.map((n) => n.id),
      new Map(machine.numaNodes.map((n) => [n.id, n.distances])),
    );
  }

  distance(from: number, to: number): number | undefined {
    return this.distances.get(from)?.get(to);
  }

  /** The first node pair without a distance, or undefined when the matrix is complete. */
  missingDistance(): { from: number; to: number } | undefined {
    for (const from of this.nodes) {
      for (const to of this.nodes) if (this.distance(from, to) === undefined) return { from, to };
    }
    return undefined;
  }

  /**
   * Mean distance over every ordered pair of nodes in the set, a node with itself
   * included, computed as upstream does (sum, then one float division), so ties and
   * their tie-breaks come out the same.
   */
  averageDistanceOfIds(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    let sum = 0;
    for (const from of ids) {
      for (const to of ids) {
        const d = this.distance(from, to);
        if (d === undefined) throw new TopologyConfigError('numaNodes', { from, to }, `no distance from NUMA node ${from} to ${to}`);
        sum += d;
      }
    }
    return sum / (ids.length * ids.length);
  }

  averageDistance(mask: NUMAMask): number {
    return this.averageDistanceOfIds(maskIds(mask));
  }
}
