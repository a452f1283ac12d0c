import { v1alpha1 } from '@kernelet/proto';
import type { NodeConditionContribution, NodeStatusContribution, StatusFunc } from '../extension-points/status-func.js';
import type { PluginConnection } from './plugin-connection.js';

const STATUSES = new Set(['True', 'False', 'Unknown']);

/** A plugin's StatusFunc service seen as the agent's StatusFunc. */
export class RemoteStatusFunc implements StatusFunc {
  constructor(
    readonly name: string,
    private readonly connection: PluginConnection,
  ) {}

  async getNodeStatus(nodeName: string): Promise<NodeStatusContribution> {
    const response = await this.connection.unary(v1alpha1.StatusFuncService.getNodeStatus, { nodeName });
    const conditions: NodeConditionContribution[] = response.conditions.map((c) => ({
      type: c.type,
      status: STATUSES.has(c.status) ? (c.status as NodeConditionContribution['status']) : 'Unknown',
      reason: c.reason,
      message: c.message,
    }));
    return {
      capacity: new Map(Object.entries(response.capacity)),
      allocatable: new Map(Object.entries(response.allocatable)),
      conditions,
    };
  }
}
