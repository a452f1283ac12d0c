import type { v1alpha1 } from '@kernelet/proto';
import type { CallStreamServer } from './call-stream-server.js';
import { podFromWire, WireError } from './common/index.js';
import { unary } from './grpc-handlers.js';
import type { PluginRuntime } from './plugin-runtime.js';

/** The AdmitHandler service of a plugin: Admit as a unary rpc and as a message on the Calls stream, answered by the same code. */
export function admitHandlerService(runtime: PluginRuntime, streams: CallStreamServer): v1alpha1.AdmitHandlerServer {
  const admit = async (request: v1alpha1.AdmitRequest): Promise<v1alpha1.AdmitResponse> => {
    const { handler, ctx } = runtime.require('admitHandler');
    const decision = await handler.admit(podFromWire(request.pod), ctx);
    return decision.admit ? { admit: true } : { admit: false, rejection: { reason: decision.reason, message: decision.message } };
  };
  return {
    admit: unary(admit),
    calls: streams.handler(async (call: v1alpha1.AdmitHandlerCall): Promise<Omit<v1alpha1.AdmitHandlerResult, 'id'>> => {
      if (!call.admit) throw new WireError('the call names no method this admit handler knows');
      return { admit: await admit(call.admit) };
    }),
  };
}
