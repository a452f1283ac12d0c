import * as grpc from '@grpc/grpc-js';

/** What every result on a Calls stream carries: its call's id, and the failure it reports instead of an answer. */
export interface CallStreamResult {
  id: number;
  error?: { code: number; message: string } | undefined;
}

/** The call got no result within its deadline; a result coming later is dropped. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs}ms`);
  }
}

/** The stream ended (cleanly, with an error, or UNIMPLEMENTED) while the call waited for its result. */
export class CallStreamEndedError extends Error {
  override readonly name = 'CallStreamEndedError';
  constructor(readonly status: grpc.StatusObject) {
    super(status.details);
  }
}

interface Waiting<Result> {
  resolve(result: Result): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The caller's side of a kernelet Calls stream (the wire form of an extension point's calls,
 * both ends of which live in this package's users): every call gets a fresh id and its own
 * deadline, and is settled by the result with its id, in whatever order results come. The
 * stream is opened on the first call and again after it ends; an ending fails the calls in
 * flight. Results that report an error are handed over like any other: what a failure means
 * is the caller's to say.
 */
export class CallMultiplexer<Call extends { id: number }, Result extends CallStreamResult> {
  private stream: grpc.ClientDuplexStream<Call, Result> | undefined;
  private readonly waiting = new Map<number, Waiting<Result>>();
  private nextId = 1;

  constructor(private readonly open: () => grpc.ClientDuplexStream<Call, Result>) {}

  /** Rejects with CallTimeoutError or CallStreamEndedError, or with what opening the stream threw. */
  send(call: Omit<Call, 'id'>, timeoutMs: number): Promise<Result> {
    let stream: grpc.ClientDuplexStream<Call, Result>;
    try {
      stream = this.stream ?? this.start();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting.delete(id)) reject(new CallTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      stream.write({ ...call, id } as Call);
    });
  }

  /** Ends the stream from this side; the calls in flight fail with CANCELLED. */
  cancel(): void {
    this.stream?.cancel();
  }

  private start(): grpc.ClientDuplexStream<Call, Result> {
    const stream = this.open();
    this.stream = stream;
    stream.on('data', (result: Result) => {
      const call = this.waiting.get(result.id);
      // A result after its call's deadline: the call already failed.
      if (!call) return;
      this.waiting.delete(result.id);
      clearTimeout(call.timer);
      call.resolve(result);
    });
    // The status event reports every ending; 'error' only duplicates it, but must be listened to.
    stream.on('error', () => undefined);
    stream.on('status', (status: grpc.StatusObject) => {
      if (this.stream === stream) this.stream = undefined;
      const calls = [...this.waiting.values()];
      this.waiting.clear();
      for (const call of calls) {
        clearTimeout(call.timer);
        call.reject(new CallStreamEndedError(status));
      }
    });
    return stream;
  }
}
