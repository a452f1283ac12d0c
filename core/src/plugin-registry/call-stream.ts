import * as grpc from '@grpc/grpc-js';
import { splitPath, type PluginConnection } from './plugin-connection.js';

/** The plugin does not serve the stream (UNIMPLEMENTED): its calls go through the unary rpcs instead. */
export class CallStreamUnsupportedError extends Error {
  override readonly name = 'CallStreamUnsupportedError';
}

export interface CallStreamMessages<Call, Result> {
  /** The stream method, e.g. HintProvider.Calls. */
  method: grpc.MethodDefinition<Call, Result>;
  /** The call message with its id set. */
  withId(call: Omit<Call, 'id'>, id: number): Call;
  idOf(result: Result): number;
  /** The failure a result reports instead of an answer, if it does. */
  errorOf(result: Result): { code: number; message: string } | undefined;
}

interface Pending<Result> {
  resolve(result: Result): void;
  reject(error: Error): void;
  method: string;
  started: number;
  timer: NodeJS.Timeout;
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
export class CallStream<Call, Result> {
  private stream: grpc.ClientDuplexStream<Call, Result> | undefined;
  private readonly pending = new Map<number, Pending<Result>>();
  private nextId = 1;
  private unsupported = false;
  private readonly service: string;

  constructor(
    private readonly connection: PluginConnection,
    private readonly messages: CallStreamMessages<Call, Result>,
  ) {
    this.service = splitPath(messages.method.path).service;
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
  send<T>(method: string, call: Omit<Call, 'id'>, answer: (result: Result) => T | undefined, timeoutMs = this.connection.callTimeoutMs): Promise<T> {
    if (this.unsupported) return Promise.reject(new CallStreamUnsupportedError(`${this.service} does not serve ${this.messages.method.path}`));
    const started = performance.now();
    let stream: grpc.ClientDuplexStream<Call, Result>;
    try {
      stream = this.open();
    } catch (error) {
      // The connection was closed (the plugin was unbound) after the caller got it.
      return Promise.reject(this.fail(method, started, timeoutMs, 'UNAVAILABLE', (error as Error).message));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(this.fail(method, started, timeoutMs, 'DEADLINE_EXCEEDED', `no answer within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        started,
        timer,
        reject,
        resolve: (result) => {
          const failure = this.messages.errorOf(result);
          if (failure) {
            reject(this.fail(method, started, timeoutMs, grpc.status[failure.code] ?? String(failure.code), failure.message));
            return;
          }
          const value = answer(result);
          if (value === undefined) {
            reject(this.fail(method, started, timeoutMs, 'INTERNAL', `the plugin answered ${method} with a result of another call`));
            return;
          }
          this.connection.recordSuccess(this.service, method, started);
          resolve(value);
        },
      });
      stream.write(this.messages.withId(call, id));
    });
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

  private open(): grpc.ClientDuplexStream<Call, Result> {
    if (this.stream) return this.stream;
    const stream = this.connection.bidiStream(this.messages.method);
    this.stream = stream;
    stream.on('data', (result: Result) => {
      const id = this.messages.idOf(result);
      const call = this.pending.get(id);
      // A result after its call's deadline: the call already failed.
      if (!call) return;
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.resolve(result);
    });
    // The status event reports every ending; 'error' only duplicates it, but must be listened to.
    stream.on('error', () => undefined);
    stream.on('status', (status: grpc.StatusObject) => {
      if (this.stream === stream) this.stream = undefined;
      if (status.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      this.failPending(status);
    });
    return stream;
  }

  private failPending(status: grpc.StatusObject): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      if (this.unsupported) {
        call.reject(new CallStreamUnsupportedError(status.details));
        continue;
      }
      // A stream the plugin ended cleanly while calls were in flight still failed them.
      const code = status.code === grpc.status.OK ? 'UNAVAILABLE' : (grpc.status[status.code] ?? String(status.code));
      const detail = status.code === grpc.status.OK ? 'the plugin ended the call stream' : status.details;
      call.reject(this.fail(call.method, call.started, this.connection.callTimeoutMs, code, detail));
    }
  }

  private fail(method: string, started: number, timeoutMs: number, code: string, detail: string): Error {
    return this.connection.recordFailure(this.service, method, started, timeoutMs, code, detail);
  }
}
