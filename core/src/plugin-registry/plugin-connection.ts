import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logging/logger.js';
import type { AgentMetrics } from '../metrics/metrics.js';

/** A failed call into a plugin, with what the operator needs to see. */
export class PluginCallError extends Error {
  override readonly name = 'PluginCallError';
  constructor(
    readonly plugin: string,
    readonly method: string,
    /** gRPC status name: DEADLINE_EXCEEDED, UNAVAILABLE, INTERNAL (malformed reply), ... */
    readonly code: string,
    readonly durationMs: number,
    /** The plugin's own words (the gRPC status details), for operators. */
    readonly detail: string,
  ) {
    super(`plugin ${plugin}: ${method} failed (${code}) after ${Math.round(durationMs)}ms: ${detail}`);
  }
}

export interface PluginConnectionOptions {
  logger: Logger;
  metrics: AgentMetrics;
  /** Deadline for each unary call unless the call names its own. */
  callTimeoutMs: number;
  /** Told of every failed call: unary errors, timeouts and malformed replies, and streams that break. */
  onCallFailure?: (error: PluginCallError) => void;
}

/**
 * One channel to a plugin's endpoint. Every unary call has a deadline; every outcome
 * is timed into kernelet_plugin_call_duration_seconds, and every failure is logged
 * with plugin, service, method, duration and deadline.
 */
export class PluginConnection {
  readonly channel: grpc.Channel;
  private readonly client: grpc.Client;
  /** Open bidirectional streams, cancelled by close(). */
  private readonly streams = new Set<{ cancel(): void }>();

  constructor(
    public pluginName: string,
    /** Filesystem path of the unix socket. */
    readonly socketPath: string,
    private readonly options: PluginConnectionOptions,
  ) {
    const target = `unix://${socketPath}`;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.enable_retries': 0,
    };
    this.channel = new grpc.Channel(target, grpc.credentials.createInsecure(), channelOptions);
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), { channelOverride: this.channel });
  }

  unary<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req, timeoutMs = this.options.callTimeoutMs): Promise<Res> {
    const { service, name } = splitPath(method.path);
    const started = performance.now();
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error || response === undefined) {
            const code = error ? (grpc.status[error.code] ?? String(error.code)) : 'OK';
            reject(this.recordFailure(service, name, started, timeoutMs, code, error ? error.details || error.message : 'empty response'));
            return;
          }
          this.recordSuccess(service, name, started);
          resolve(response);
        },
      );
    });
  }

  /**
   * A call that did not go through unary() (a message on a stream) answered: timed into
   * kernelet_plugin_call_duration_seconds under its service and method, as a unary call is.
   */
  recordSuccess(service: string, method: string, started: number): void {
    this.options.metrics.pluginCallDuration.observe({ plugin: this.pluginName, service, method, code: 'OK' }, (performance.now() - started) / 1000);
  }

  /** A call failed: timed, counted, logged and reported as unary() does; answers the error to reject the call with. */
  recordFailure(service: string, method: string, started: number, timeoutMs: number, code: string, detail: string): PluginCallError {
    const durationMs = performance.now() - started;
    const labels = { plugin: this.pluginName, service, method, code };
    this.options.metrics.pluginCallDuration.observe(labels, durationMs / 1000);
    this.options.metrics.pluginCallFailures.inc(labels);
    this.options.logger.warn(
      { plugin: this.pluginName, service, method, code, durationMs: Math.round(durationMs), deadlineMs: timeoutMs, err: detail },
      'plugin call failed',
    );
    const failure = new PluginCallError(this.pluginName, `${service}.${method}`, code, durationMs, detail);
    this.options.onCallFailure?.(failure);
    return failure;
  }

  /** The deadline of a call that does not name its own. */
  get callTimeoutMs(): number {
    return this.options.callTimeoutMs;
  }

  /**
   * A bidirectional stream without a deadline: its user times each message it sends.
   * Closing the connection cancels it (a closed channel would otherwise keep it open).
   */
  bidiStream<Req, Res>(method: grpc.MethodDefinition<Req, Res>): grpc.ClientDuplexStream<Req, Res> {
    const stream = this.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), {});
    this.streams.add(stream);
    stream.on('status', () => this.streams.delete(stream));
    return stream;
  }

  serverStream<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req): grpc.ClientReadableStream<Res> {
    const { service, name } = splitPath(method.path);
    const started = performance.now();
    const stream = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), {});
    stream.on('error', (error: grpc.ServiceError) => {
      // A cancel is the agent closing the stream, not the plugin failing.
      if (error.code === grpc.status.CANCELLED) return;
      const code = grpc.status[error.code] ?? String(error.code);
      this.options.onCallFailure?.(new PluginCallError(this.pluginName, `${service}.${name}`, code, performance.now() - started, error.details || error.message));
    });
    return stream;
  }

  close(): void {
    for (const stream of this.streams) stream.cancel();
    this.streams.clear();
    this.client.close();
    this.channel.close();
  }
}

/** "/kernelet.v1alpha1.AdmitHandler/Admit" -> service "AdmitHandler", name "Admit". */
export function splitPath(path: string): { service: string; name: string } {
  const [, qualified = '', name = ''] = path.split('/');
  return { service: qualified.slice(qualified.lastIndexOf('.') + 1), name };
}
