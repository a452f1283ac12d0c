import { v1alpha1 } from '@kernelet/proto';
import {
  allocationFromWire,
  hintToWire,
  podToWire,
  providerHintsFromWire,
  sharedAllocationFromWire,
  type AllocateResult,
  type AllocationList,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '@kernelet/sdk/common';
import type { HintProvider } from '../extension-points/hint-provider.js';
import type { PluginConnection } from './plugin-connection.js';

/** A plugin's HintProvider service seen as the agent's HintProvider. Errors propagate: the topology manager applies the policy. */
export class RemoteHintProvider implements HintProvider {
  constructor(
    readonly name: string,
    private readonly connection: PluginConnection,
  ) {}

  async getTopologyHints(pod: Pod, containerName: string): Promise<ProviderHints> {
    const response = await this.connection.unary(v1alpha1.HintProviderService.getTopologyHints, { pod: podToWire(pod), containerName });
    return providerHintsFromWire(response);
  }

  async getPodTopologyHints(pod: Pod): Promise<ProviderHints> {
    const response = await this.connection.unary(v1alpha1.HintProviderService.getPodTopologyHints, { pod: podToWire(pod) });
    return providerHintsFromWire(response);
  }

  async allocate(pod: Pod, containerName: string, hint: TopologyHint): Promise<AllocateResult> {
    const response = await this.connection.unary(v1alpha1.HintProviderService.allocate, {
      pod: podToWire(pod),
      containerName,
      hint: hintToWire(hint),
    });
    if (response.rejection) return { ok: false, reason: response.rejection.reason, message: response.rejection.message };
    const allocation = response.allocation
      ? allocationFromWire(response.allocation)
      : { podUID: pod.metadata?.uid ?? '', containerName };
    return { ok: true, allocation };
  }

  async removeContainer(podUID: string, containerName: string): Promise<void> {
    await this.connection.unary(v1alpha1.HintProviderService.removeContainer, { podUid: podUID, containerName });
  }

  async listAllocations(): Promise<AllocationList> {
    const response = await this.connection.unary(v1alpha1.HintProviderService.listAllocations, {});
    return {
      allocations: response.allocations.map(allocationFromWire),
      shared: response.shared ? sharedAllocationFromWire(response.shared) : null,
    };
  }
}
