import * as grpc from '@grpc/grpc-js';
import { WireError } from './common/index.js';
import { NotConfiguredError } from './plugin-runtime.js';

/** A handler failure that names the gRPC status the agent should see. */
export class PluginFailure extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** The status a failed handler answers with, so the agent can tell a refusal from a bug. */
export function statusCodeOf(error: Error): grpc.status {
  if (error instanceof PluginFailure) return error.code;
  if (error instanceof NotConfiguredError) return grpc.status.FAILED_PRECONDITION;
  if (error instanceof WireError) return grpc.status.INVALID_ARGUMENT;
  return grpc.status.INTERNAL;
}

/** Wraps a handler as a unary gRPC method, mapping failures to status codes the agent can report. */
export function unary<Req, Res>(fn: (request: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (response) => callback(null, response),
        (error: Error) => callback({ code: statusCodeOf(error), details: error.message, name: error.name, message: error.message }),
      );
  };
}
