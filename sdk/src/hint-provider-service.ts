import type * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { allocationToWire, hintFromWire, podFromWire, providerHintsToWire, sharedAllocationToWire, WireError } from './common/index.js';
import { statusCodeOf, unary } from './grpc-handlers.js';
import type { PluginRuntime } from './plugin-runtime.js';

type CallStream = grpc.ServerDuplexStream<v1alpha1.HintProviderCall, v1alpha1.HintProviderResult>;

export interface HintProviderService {
  readonly implementation: v1alpha1.HintProviderServer;
  /** Ends every open Calls stream, so a graceful server shutdown does not wait for the agent to close them. */
  endStreams(): void;
}

/**
 * The HintProvider service of a plugin: each admission call as a unary rpc and as a
 * message on the Calls stream, both answered by the same handler code.
 */
export function hintProviderService(runtime: PluginRuntime): HintProviderService {
  const hintProvider = () => runtime.require('hintProvider');
  const getTopologyHints = async (request: v1alpha1.GetTopologyHintsRequest): Promise<v1alpha1.GetTopologyHintsResponse> => {
    const { handler, ctx } = hintProvider();
    return providerHintsToWire(await handler.getTopologyHints(podFromWire(request.pod), request.containerName, ctx));
  };
  const getPodTopologyHints = async (request: v1alpha1.GetPodTopologyHintsRequest): Promise<v1alpha1.GetTopologyHintsResponse> => {
    const { handler, ctx } = hintProvider();
    return providerHintsToWire(await handler.getPodTopologyHints(podFromWire(request.pod), ctx));
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

  const answer = async (call: v1alpha1.HintProviderCall): Promise<v1alpha1.HintProviderResult> => {
    const { id } = call;
    try {
      if (call.getTopologyHints) return { id, hints: await getTopologyHints(call.getTopologyHints) };
      if (call.getPodTopologyHints) return { id, hints: await getPodTopologyHints(call.getPodTopologyHints) };
      if (call.allocate) return { id, allocate: await allocate(call.allocate) };
      if (call.removeContainer) return { id, removeContainer: await removeContainer(call.removeContainer) };
      throw new WireError('the call names no method this provider knows');
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      return { id, error: { code: statusCodeOf(err), message: err.message } };
    }
  };

  const open = new Set<CallStream>();
  const calls = (stream: CallStream): void => {
    open.add(stream);
    const forget = () => open.delete(stream);
    stream.on('data', (call: v1alpha1.HintProviderCall) => {
      void answer(call).then((result) => {
        // The agent may have gone while the handler ran; its call failed on its side already.
        if (!stream.writableEnded && !stream.destroyed) stream.write(result);
      });
    });
    stream.on('end', () => {
      forget();
      if (!stream.writableEnded) stream.end();
    });
    stream.on('error', forget);
    stream.on('cancelled', forget);
  };

  return {
    implementation: {
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
      calls,
    },
    endStreams() {
      for (const stream of open) if (!stream.writableEnded) stream.end();
      open.clear();
    },
  };
}
