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
import { CallStream } from './call-stream.js';
import type { PluginConnection } from './plugin-connection.js';

type Result = v1alpha1.HintProviderResult;

/**
 * A plugin's HintProvider service seen as the agent's HintProvider. Errors propagate: the
 * topology manager applies the policy. The admission calls travel on the provider's Calls
 * stream; a provider without one is called through the unary rpcs.
 */
export class RemoteHintProvider implements HintProvider {
  private readonly calls: CallStream<v1alpha1.HintProviderCall, Result>;

  constructor(
    readonly name: string,
    private readonly connection: PluginConnection,
  ) {
    this.calls = new CallStream(connection, v1alpha1.HintProviderService.calls);
  }

  async getTopologyHints(pod: Pod, containerName: string): Promise<ProviderHints> {
    const request = { pod: podToWire(pod), containerName };
    const response = await this.calls.sendOrUnary(
      'GetTopologyHints',
      { getTopologyHints: request },
      (r) => r.hints,
      () => this.connection.unary(v1alpha1.HintProviderService.getTopologyHints, request),
    );
    return providerHintsFromWire(response);
  }

  async getPodTopologyHints(pod: Pod): Promise<ProviderHints> {
    const request = { pod: podToWire(pod) };
    const response = await this.calls.sendOrUnary(
      'GetPodTopologyHints',
      { getPodTopologyHints: request },
      (r) => r.hints,
      () => this.connection.unary(v1alpha1.HintProviderService.getPodTopologyHints, request),
    );
    return providerHintsFromWire(response);
  }

  async allocate(pod: Pod, containerName: string, hint: TopologyHint): Promise<AllocateResult> {
    const request = { pod: podToWire(pod), containerName, hint: hintToWire(hint) };
    const response = await this.calls.sendOrUnary(
      'Allocate',
      { allocate: request },
      (r) => r.allocate,
      () => this.connection.unary(v1alpha1.HintProviderService.allocate, request),
    );
    if (response.rejection) return { ok: false, reason: response.rejection.reason, message: response.rejection.message };
    const allocation = response.allocation
      ? allocationFromWire(response.allocation)
      : { podUID: pod.metadata?.uid ?? '', containerName };
    return { ok: true, allocation };
  }

  async removeContainer(podUID: string, containerName: string): Promise<void> {
    const request = { podUid: podUID, containerName };
    await this.calls.sendOrUnary(
      'RemoveContainer',
      { removeContainer: request },
      (r) => r.removeContainer,
      () => this.connection.unary(v1alpha1.HintProviderService.removeContainer, request),
    );
  }

  async listAllocations(): Promise<AllocationList> {
    const response = await this.connection.unary(v1alpha1.HintProviderService.listAllocations, {});
    return {
      allocations: response.allocations.map(allocationFromWire),
      shared: response.shared ? sharedAllocationFromWire(response.shared) : null,
    };
  }
}
