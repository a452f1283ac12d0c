import type { v1alpha1 } from '@kernelet/proto';
import type { CallStreamServer } from './call-stream-server.js';
import { allocationToWire, hintFromWire, podFromWire, providerHintsToWire, sharedAllocationToWire, WireError } from './common/index.js';
import { unary } from './grpc-handlers.js';
import type { PluginRuntime } from './plugin-runtime.js';

/**
 * The HintProvider service of a plugin: each admission call as a unary rpc and as a
 * message on the Calls stream, both answered by the same handler code.
 */
export function hintProviderService(runtime: PluginRuntime, streams: CallStreamServer): v1alpha1.HintProviderServer {
  const hintProvider = () => runtime.require('hintProvider');
  const getTopologyHints = async (request: v1alpha1.GetTopologyHintsRequest): Promise<v1alpha1.GetTopologyHintsResponse> => {
    const { handler, ctx } = hintProvider();
    const hints = await handler.getTopologyHints(podFromWire(request.pod), request.containerName, ctx);
    return providerHintsToWire(hints, { packed: runtime.agentReadsPackedHints });
  };
  const getPodTopologyHints = async (request: v1alpha1.GetPodTopologyHintsRequest): Promise<v1alpha1.GetTopologyHintsResponse> => {
    const { handler, ctx } = hintProvider();
    return providerHintsToWire(await handler.getPodTopologyHints(podFromWire(request.pod), ctx), { packed: runtime.agentReadsPackedHints });
  };
  const allocate = async (request: v1alpha1.AllocateRequest): Promise<v1alpha1.AllocateResponse> => {
    const { handler, ctx } = hintProvider();
    const result = await handler.allocate(podFromWire(request.pod), request.containerName, hintFromWire(request.hint), ctx);
    return result.ok ? { allocation: allocationToWire(result.allocation) } : { rejection: { reason: result.reason, message: result.message } };
  };
  const removeContainer = async (request: v1alpha1.RemoveContainerRequest): Promise<v1alpha1.RemoveContainerResponse> => {
    const { handler, ctx } = hintProvider();
    await handler.removeContainer(request.podUid, request.containerName, ctx);
    return {};
  };

  const answer = async (call: v1alpha1.HintProviderCall): Promise<Omit<v1alpha1.HintProviderResult, 'id'>> => {
    if (call.getTopologyHints) return { hints: await getTopologyHints(call.getTopologyHints) };
    if (call.getPodTopologyHints) return { hints: await getPodTopologyHints(call.getPodTopologyHints) };
    if (call.allocate) return { allocate: await allocate(call.allocate) };
    if (call.removeContainer) return { removeContainer: await removeContainer(call.removeContainer) };
    throw new WireError('the call names no method this provider knows');
  };

  return {
    getTopologyHints: unary(getTopologyHints),
    getPodTopologyHints: unary(getPodTopologyHints),
    allocate: unary(allocate),
    removeContainer: unary(removeContainer),
    listAllocations: unary(async () => {
      const { handler, ctx } = hintProvider();
      const list = await handler.listAllocations(ctx);
      return {
        allocations: list.allocations.map(allocationToWire),
        shared: list.shared ? sharedAllocationToWire(list.shared) : undefined,
      };
    }),
    calls: streams.handler(answer),
  };
}
