import { inject, injectable } from 'inversify';
import type { runtime } from '@kernelet/proto';
import type { Startable } from '../agent/lifecycle.js';
import { Logger } from '../logging/logger.js';
import { RuntimeState } from '../node/runtime-state.js';
import { errorText } from './cri-error.js';
import { ensureEmbeddedRuntime } from './embedded-runtime.js';
import { RuntimeEndpoints } from './cri-module-tokens.js';
import { RuntimeService } from './runtime-service.js';

/** How often the runtime's Status is checked (upstream runtimeUpdatePeriod... 5 s). */
export const RUNTIME_STATUS_PERIOD_MS = 5000;

/**
 * The agent's link to its container runtime: starts the embedded runtime when no runtime is
 * configured, performs the version handshake (logging what runs), and checks the runtime's
 * Status every 5 seconds: a runtime that stops answering makes the node not ready and pauses
 * pod syncs until it is back. The embedded runtime, which the agent owns, is started again.
 */
@injectable()
export class RuntimeConnection implements Startable {
  readonly name = 'container-runtime';
  private timer: NodeJS.Timeout | undefined;
  private handshakeDone = false;
  private failures = 0;
  private nextEnsureAt = 0;
  private ensureFailures = 0;
  private stopped = false;
  private checking: Promise<void> | undefined;

  constructor(
    @inject(RuntimeEndpoints) private readonly endpoints: RuntimeEndpoints,
    @inject(RuntimeService) private readonly runtimeService: RuntimeService,
    @inject(RuntimeState) private readonly state: RuntimeState,
    @inject(Logger) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.endpoints.embedded) await this.ensureEmbedded().catch((e: Error) => this.logger.error({ err: e.message }, 'cannot start the embedded runtime'));
    await this.check();
    if (!this.handshakeDone) {
      this.logger.error({ endpoint: this.endpoints.runtimeEndpoint }, 'container runtime not reachable at start; the node stays not ready until it answers');
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Checks the runtime now (tests and recovery use it). */
  checkNow(): Promise<void> {
    return this.check();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), this.state.runtimeUp ? RUNTIME_STATUS_PERIOD_MS : 1000);
    this.timer.unref?.();
  }

  private check(): Promise<void> {
    this.checking ??= this.doCheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    try {
      if (!this.handshakeDone) await this.handshake();
      const status = await this.runtimeService.status();
      const conditions = status.status?.conditions ?? [];
      const runtimeReady = conditions.find((c) => c.type === 'RuntimeReady');
      const networkReady = conditions.find((c) => c.type === 'NetworkReady');
      const wasDown = !this.state.runtimeUp;
      this.state.setRuntime(runtimeReady && !runtimeReady.status ? `container runtime not ready: ${describe(runtimeReady)}` : undefined);
      this.state.setNetwork(networkReady && !networkReady.status ? `container runtime network not ready: ${describe(networkReady)}` : undefined);
      if (wasDown && this.failures > 0) this.logger.info({ endpoint: this.endpoints.runtimeEndpoint }, 'container runtime is back');
      this.failures = 0;
    } catch (error) {
      this.failures++;
      const message = `container runtime is down: ${errorText(error)}`;
      if (this.failures === 1) this.logger.error({ endpoint: this.endpoints.runtimeEndpoint, err: errorText(error) }, 'container runtime status check failed');
      this.state.setRuntime(message);
      this.handshakeDone = false;
      if (this.endpoints.embedded && this.failures >= 2 && !this.stopped && Date.now() >= this.nextEnsureAt) {
        // The agent owns the embedded runtime: start it again (with backoff if that fails too).
        try {
          await this.ensureEmbedded();
          this.ensureFailures = 0;
        } catch (e) {
          this.ensureFailures++;
          this.nextEnsureAt = Date.now() + Math.min(60_000, 2000 * 2 ** (this.ensureFailures - 1));
          this.logger.error({ err: (e as Error).message, retryInMs: this.nextEnsureAt - Date.now() }, 'cannot start the embedded runtime');
        }
      }
    }
  }

  private async handshake(): Promise<void> {
    const version = await this.runtimeService.version();
    if (version.runtimeApiVersion !== 'v1') {
      throw new Error(`the runtime at ${this.endpoints.runtimeEndpoint} speaks CRI ${version.runtimeApiVersion || '(unknown)'}, not v1`);
    }
    this.state.runtimeName = version.runtimeName;
    this.state.runtimeVersion = `${version.runtimeName}://${version.runtimeVersion}`;
    this.handshakeDone = true;
    this.logger.info(
      { endpoint: this.endpoints.runtimeEndpoint, containerRuntime: version.runtimeName, version: version.runtimeVersion, apiVersion: version.runtimeApiVersion, embedded: this.endpoints.embedded !== undefined },
      'container runtime initialized',
    );
  }

  private async ensureEmbedded(): Promise<void> {
    const embedded = this.endpoints.embedded;
    if (!embedded) return;
    const started = performance.now();
    const result = await ensureEmbeddedRuntime(embedded);
    this.logger.info(
      { socket: embedded.socketPath, pid: result.pid, started: result.started, logFile: embedded.logFile, durationMs: Math.round(performance.now() - started) },
      result.started ? 'embedded container runtime started' : 'embedded container runtime already running',
    );
  }
}

function describe(c: runtime.RuntimeCondition): string {
  return `${c.type}=${c.status} reason:${c.reason} message:${c.message}`;
}
