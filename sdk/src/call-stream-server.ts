import type * as grpc from '@grpc/grpc-js';
import type { v1alpha1 } from '@kernelet/proto';
import { statusCodeOf } from './grpc-handlers.js';

type Stream<Call, Result> = grpc.ServerDuplexStream<Call, Result>;

/**
 * Serves the Calls streams of a plugin's extension points: every call that comes in is
 * answered on its own, and its result written under the call's id as soon as it is ready,
 * in whatever order; a failed call gets the status its unary rpc would have failed with.
 * Keeps the open streams, so a shutdown ends them rather than waiting for the agent to.
 */
export class CallStreamServer {
  private readonly open = new Set<{ readonly writableEnded: boolean; end(): void }>();

  handler<Call extends { id: number }, Result extends { id: number; error?: v1alpha1.CallError | undefined }>(
    answer: (call: Call) => Promise<Omit<Result, 'id'>>,
  ): grpc.handleBidiStreamingCall<Call, Result> {
    return (stream: Stream<Call, Result>) => {
      this.open.add(stream);
      const forget = () => this.open.delete(stream);
      stream.on('data', (call: Call) => {
        void Promise.resolve()
          .then(() => answer(call))
          .then(
            (result) => ({ ...result, id: call.id }) as Result,
            (error: unknown) => {
              const err = error instanceof Error ? error : new Error(String(error));
              return { id: call.id, error: { code: statusCodeOf(err), message: err.message } } as Result;
            },
          )
          .then((result) => {
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
  }

  /** Ends every open stream, so a graceful server shutdown does not wait for the agent to close them. */
  endAll(): void {
    for (const stream of this.open) if (!stream.writableEnded) stream.end();
    this.open.clear();
  }
}
