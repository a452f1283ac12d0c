import * as grpc from '@grpc/grpc-js';
import { CallMultiplexer, CallStreamEndedError, CallTimeoutError, type CallStreamResult } from '@kernelet/proto/transport';
import { splitPath, type PluginConnection } from './plugin-connection.js';

/** The plugin does not serve the stream (UNIMPLEMENTED): its calls go through the unary rpcs instead. */
export class CallStreamUnsupportedError extends Error {
  override readonly name = 'CallStreamUnsupportedError';
}

/**
 * Unary calls carried as messages on one long-lived bidirectional stream: each call has an
 * id its result repeats, and its own deadline. A message on an open HTTP/2 stream costs a
 * fraction of a unary rpc (no new stream, headers or trailers), which is what admission
 * latency is made of. Every call is timed, counted and reported like a unary call of the
 * same method. A stream that breaks fails the calls in flight and is opened again by the
 * next call; one the plugin does not implement makes every call fail with
 * CallStreamUnsupportedError, so the caller uses the unary rpcs.
 */
export class CallStream<Call extends { id: number }, Result extends CallStreamResult> {
  private readonly calls: CallMultiplexer<Call, Result>;
  private unsupported = false;
  private readonly service: string;

  constructor(
    private readonly connection: PluginConnection,
    /** The stream method, e.g. HintProvider.Calls. */
    private readonly method: grpc.MethodDefinition<Call, Result>,
  ) {
    this.service = splitPath(method.path).service;
    this.calls = new CallMultiplexer(() => connection.bidiStream(method));
  }

  /** False once the plugin answered that it does not serve the stream. */
  get supported(): boolean {
    return !this.unsupported;
  }

  /**
   * Sends one call named `method` (the unary rpc it stands for, for metrics and errors) and
   * answers what `answer` takes from its result. Rejects with PluginCallError when the plugin
   * reports a failure, answers something else, misses the deadline or the stream breaks.
   */
  async send<T>(method: string, call: Omit<Call, 'id'>, answer: (result: Result) => T | undefined, timeoutMs = this.connection.callTimeoutMs): Promise<T> {
    if (this.unsupported) throw new CallStreamUnsupportedError(`${this.service} does not serve ${this.method.path}`);
    const started = performance.now();
    let result: Result;
    try {
      result = await this.calls.send(call, timeoutMs);
    } catch (error) {
      throw this.failed(method, started, timeoutMs, error);
    }
    if (result.error) {
      throw this.fail(method, started, timeoutMs, grpc.status[result.error.code] ?? String(result.error.code), result.error.message);
    }
    const value = answer(result);
    if (value === undefined) throw this.fail(method, started, timeoutMs, 'INTERNAL', `the plugin answered ${method} with a result of another call`);
    this.connection.recordSuccess(this.service, method, started);
    return value;
  }

  /** The call on the stream while the plugin serves it, else as the unary rpc it stands for. */
  async sendOrUnary<T>(method: string, call: Omit<Call, 'id'>, answer: (result: Result) => T | undefined, unary: () => Promise<T>): Promise<T> {
    if (this.supported) {
      try {
        return await this.send(method, call, answer);
      } catch (error) {
        if (!(error instanceof CallStreamUnsupportedError)) throw error;
      }
    }
    return unary();
  }

  /** The error a call that got no result fails with. */
  private failed(method: string, started: number, timeoutMs: number, error: unknown): Error {
    if (error instanceof CallTimeoutError) return this.fail(method, started, timeoutMs, 'DEADLINE_EXCEEDED', error.message);
    if (!(error instanceof CallStreamEndedError)) {
      // The connection was closed (the plugin was unbound) after the caller got it.
      return this.fail(method, started, timeoutMs, 'UNAVAILABLE', error instanceof Error ? error.message : String(error));
    }
    const { code, details } = error.status;
    if (code === grpc.status.UNIMPLEMENTED) {
      this.unsupported = true;
      return new CallStreamUnsupportedError(details);
    }
    // A stream the plugin ended cleanly while calls were in flight still failed them.
    if (code === grpc.status.OK) return this.fail(method, started, timeoutMs, 'UNAVAILABLE', 'the plugin ended the call stream');
    return this.fail(method, started, timeoutMs, grpc.status[code] ?? String(code), details);
  }

  private fail(method: string, started: number, timeoutMs: number, code: string, detail: string): Error {
    return this.connection.recordFailure(this.service, method, started, timeoutMs, code, detail);
  }
}
