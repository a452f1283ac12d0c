/** A condition a plugin reports on the node (MemoryPressure, DiskPressure, ...). */
export interface NodeConditionContribution {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface NodeStatusContribution {
  capacity: ReadonlyMap<string, string>;
  allocatable: ReadonlyMap<string, string>;
  conditions: readonly NodeConditionContribution[];
}

/**
 * Contributes to the node status each time the agent computes it.
 *
 * Failure policy: a plugin that errors or misses its deadline keeps its last good
 * contribution for the node status, with its conditions turned Unknown.
 */
export interface StatusFunc {
  readonly name: string;
  getNodeStatus(nodeName: string): Promise<NodeStatusContribution>;
}
export const StatusFunc = Symbol('StatusFunc');
export const STATUS_FUNC_SERVICE = 'v1alpha1.StatusFunc';
