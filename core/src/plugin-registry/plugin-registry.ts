import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Container } from 'inversify';
import { pluginregistration, v1alpha1 } from '@kernelet/proto';
import { MAX_UNIX_PATH, UnixSocketLinks } from '@kernelet/proto/transport';
import { AdmitHandler } from '../extension-points/admit-handler.js';
import type { Contributions } from '../extension-points/contributions.js';
import { HintProvider } from '../extension-points/hint-provider.js';
import { PodSource } from '../extension-points/pod-source.js';
import { StatusFunc } from '../extension-points/status-func.js';
import type { Logger } from '../logging/logger.js';
import type { AgentMetrics } from '../metrics/metrics.js';
import { isConfigurationRefusal } from './configure-refusal.js';
import { checkPluginInfo } from './plugin-info.js';
import { PluginCallError, PluginConnection } from './plugin-connection.js';
import { registrationError, validationError } from './registration-error.js';
import { RegistryWatcher, type RegistryEntry } from './registry-watcher.js';
import { RemoteAdmitHandler, type FailurePolicy } from './remote-admit-handler.js';
import { RemoteHintProvider } from './remote-hint-provider.js';
import { RemotePodSource } from './remote-pod-source.js';
import { RemoteStatusFunc } from './remote-status-func.js';

/**
 * pending: configured to run, not registered yet · registering: handshake under way · registered: bound into its extension points ·
 * rejected: refused (NotifyRegistrationStatus(false)) · failed: the handshake could not
 * complete (retried with backoff) · disconnected: was registered, connection lost
 * (retried) · invalid: not something the agent can talk to.
 */
export type PluginState = 'pending' | 'registering' | 'registered' | 'rejected' | 'failed' | 'disconnected' | 'invalid';

/** One row of `GET /plugins` and `kernelet plugins`. */
export interface PluginView {
  /** The name the plugin gave in GetInfo; the socket's file name until it has given one. */
  name: string;
  type: string;
  services: readonly string[];
  endpoint: string;
  socket: string;
  state: PluginState;
  /**
   * Why the plugin is not registered, or for a registered plugin its latest failed call
   * ("AdmitHandler.Admit failed: INTERNAL: ..."): a malformed reply, an error or a timeout.
   */
  lastError: string | null;
  /** When lastError was set (ISO 8601). */
  lastErrorTime: string | null;
  /** Calls into the registered plugin that failed (errors, timeouts, malformed replies), counted since its socket was found. */
  callFailures: number;
  registeredSince: string | null;
  /** The plugin's process id, as it reported it in Configure (null when it did not). */
  pid: number | null;
}

export interface PluginRegistryOptions {
  /** <root-dir>/plugins_registry */
  dir: string;
  rescanPeriodMs: number;
  callTimeoutMs: number;
  /** Configure may load state files; it gets its own, longer deadline. */
  configureTimeoutMs: number;
  failurePolicy(pluginName: string): FailurePolicy;
  /** The Configure request for a plugin (merged configuration, machine, Host endpoint, ...). */
  configureRequest(pluginName: string): v1alpha1.ConfigureRequest;
}

export type RegistryEvent = { kind: 'bound' | 'unbound'; name: string; services: readonly string[] };

interface PluginRecord {
  socketPath: string;
  identity: string;
  state: PluginState;
  name: string;
  type: string;
  services: string[];
  endpoint: string;
  lastError: string | null;
  lastErrorTime: Date | null;
  callFailures: number;
  registeredSince: Date | null;
  pid: number | null;
  /** Registered at least once from this socket: its return is expected while the socket exists. */
  wasRegistered: boolean;
  /** Why a once-registered plugin was unbound; kept through failed reconnects so operators see the cause, not only the latest refusal. */
  lostReason: string | null;
  /**
   * The plugin's refusal of the configuration it was sent (Configure answered FAILED_PRECONDITION
   * or INVALID_ARGUMENT): the operator must act. Kept through retries and failed attempts, so
   * the node condition does not flap while the agent asks again; cleared when the plugin
   * registers, is refused for another reason, or its socket goes.
   */
  configurationRefusal: string | null;
  /**
   * Holds the plugin's name from the moment the agent decides to tell it "registered" until
   * it is bound: another socket serving the same name is refused meanwhile, so no plugin is
   * told true and then false.
   */
  claimsName: boolean;
  busy: boolean;
  retryable: boolean;
  failures: number;
  nextRetryAt: number;
  connection?: PluginConnection;
  serviceConnection?: PluginConnection;
  container?: Container;
}

/** Why a plugin whose socket went was unbound: it left on purpose (a plugin stopping gracefully removes its socket). */
export const SOCKET_REMOVED = 'socket removed';

/**
 * Whether admission still expects a plugin back: it registered from this socket, is not
 * registered now, and did not leave on purpose. A graceful stop removes the socket and then
 * drops the connection, and either may be seen first: the unbind's reason says which it was.
 */
export function expectedBack(record: { wasRegistered: boolean; state: PluginState; lostReason: string | null }): boolean {
  return record.wasRegistered && record.state !== 'registered' && record.lostReason !== SOCKET_REMOVED;
}

const PROBE_TIMEOUT_MS = 1000;
/** How long a crashed plugin whose socket vanished is still expected back (its restart re-creates the socket). */
const RESTART_GRACE_MS = 3000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Finds plugins in the registry directory, performs the registration handshake
 * (GetInfo → validate → Configure → NotifyRegistrationStatus), binds each registered
 * plugin into the extension points it serves (in a child container of its own), and
 * unbinds it when its socket disappears or its connection dies.
 */
export class PluginRegistry {
  private readonly records = new Map<string, PluginRecord>();
  private readonly listeners = new Set<(event: RegistryEvent) => void>();
  private readonly restarting = new Map<string, number>();
  /** When each plugin that is not registered now was last unbound (by name; cleared when it registers again). */
  private readonly unboundAt = new Map<string, number>();
  private startedAt = Date.now();
  private readonly watcher: RegistryWatcher;
  private readonly links = new UnixSocketLinks();
  private stopped = false;

  constructor(
    private readonly options: PluginRegistryOptions,
    private readonly root: Container,
    private readonly contributions: Contributions,
    private readonly logger: Logger,
    private readonly metrics: AgentMetrics,
  ) {
    this.watcher = new RegistryWatcher(options.dir, options.rescanPeriodMs, (entries) => this.reconcile(entries), logger);
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    await this.watcher.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher.stop();
    for (const record of this.records.values()) this.closeConnections(record);
    this.records.clear();
    this.links.remove();
  }

  /** Rescans the directory now (tests and `kernelet plugins` use it to avoid waiting for the period). */
  async rescan(): Promise<void> {
    await this.watcher.scanNow();
  }

  onDidChange(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plugins whose Configure failed and that are still refused, with the plugin's reason (its remedy). */
  refusedConfigurations(): { name: string; reason: string }[] {
    return [...this.records.values()]
      .flatMap((r) => (r.configurationRefusal !== null && r.state !== 'registered' ? [{ name: r.name, reason: r.configurationRefusal }] : []))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Names of plugins admission expects back (see expectedBack): from a socket still there, or
   * for a moment after a crashed plugin's socket went (its restart binds it again).
   */
  lost(): string[] {
    const now = Date.now();
    const names = new Set([...this.records.values()].filter(expectedBack).map((r) => r.name));
    for (const [name, until] of this.restarting) {
      if (until < now || [...this.records.values()].some((r) => r.name === name && r.state === 'registered')) this.restarting.delete(name);
      else names.add(name);
    }
    return [...names];
  }

  /**
   * Since when admission has been going without a plugin it expects (epoch ms): when the
   * plugin was last unbound, or when the registry started for one never registered since.
   */
  missingSince(name: string): number {
    return this.unboundAt.get(name) ?? this.startedAt;
  }

  list(): PluginView[] {
    return [...this.records.values()].map((r) => ({
      // A file that never said its name (not a socket, or no GetInfo answer) is known by its file name.
      name: r.name || basename(r.socketPath),
      type: r.type,
      services: r.services,
      endpoint: r.endpoint,
      socket: r.socketPath,
      state: r.state,
      lastError: r.lastError,
      lastErrorTime: r.lastErrorTime?.toISOString() ?? null,
      callFailures: r.callFailures,
      registeredSince: r.registeredSince?.toISOString() ?? null,
      pid: r.pid,
    }));
  }

  private reconcile(entries: readonly RegistryEntry[]): void {
    if (this.stopped) return;
    const present = new Set(entries.map((e) => e.path));
    for (const [path, record] of this.records) {
      if (present.has(path)) continue;
      // A crashed plugin's socket removed by its own restart (unlink, then bind) is not a
      // plugin leaving on purpose: keep expecting it for a moment.
      if (expectedBack(record) && record.name) this.restarting.set(record.name, Date.now() + RESTART_GRACE_MS);
      if (record.state === 'registered') this.unbind(record, SOCKET_REMOVED);
      this.closeConnections(record);
      this.records.delete(path);
    }
    for (const entry of entries) {
      const existing = this.records.get(entry.path);
      if (existing && existing.identity === entry.identity) {
        if (existing.retryable && !existing.busy && Date.now() >= existing.nextRetryAt) void this.register(existing);
        continue;
      }
      if (existing?.state === 'registered') this.unbind(existing, 'socket replaced');
      if (existing) this.closeConnections(existing);
      const record = newRecord(entry);
      if (existing?.wasRegistered) {
        // A restarting plugin replaces its own socket: until the new one answers GetInfo it
        // is the same plugin coming back, still expected by admission.
        record.name = existing.name;
        record.wasRegistered = true;
        record.lostReason = existing.lostReason;
      }
      this.records.set(entry.path, record);
      if (entry.kind === 'socket') {
        void this.register(record);
      } else {
        record.state = 'invalid';
        setError(record, 'not a unix socket');
        this.logger.warn({ socket: entry.path }, 'ignoring a file in the plugin registry that is not a unix socket');
      }
    }
  }

  private async register(record: PluginRecord): Promise<void> {
    record.busy = true;
    const started = performance.now();
    const current = () => !this.stopped && this.records.get(record.socketPath) === record;
    try {
      record.state = 'registering';
      this.closeConnections(record);
      const connection = this.connect(record, basename(record.socketPath), await this.dialablePath(record.socketPath));
      record.connection = connection;

      let info: pluginregistration.PluginInfo;
      try {
        info = await connection.unary(pluginregistration.RegistrationService.getInfo, {});
      } catch (error) {
        if (current()) this.fail(record, `GetInfo failed: ${describe(error)}`);
        return;
      }
      if (!current()) return;
      record.name = info.name;
      record.type = info.type;
      const check = checkPluginInfo(info, record.socketPath);
      if (!check.ok) return await this.reject(record, check.reason, false);
      record.services = check.services;
      record.endpoint = check.endpoint;
      connection.pluginName = check.name;

      const holder = this.nameHolder(record);
      if (holder) {
        return await this.reject(record, validationError(`a plugin named ${check.name} is already registered from socket ${holder.socketPath}`), true);
      }

      const serviceConnection =
        check.endpoint === record.socketPath ? connection : this.connect(record, check.name, await this.dialablePath(check.endpoint));
      record.serviceConnection = serviceConnection;
      try {
        const configured = await serviceConnection.unary(v1alpha1.PluginService.configure, this.options.configureRequest(check.name), this.options.configureTimeoutMs);
        record.pid = configured.pid > 0 ? configured.pid : null;
      } catch (error) {
        if (!current()) return;
        // Only the plugin's own refusal is the operator's to fix; a broken connection or a
        // timeout is a failed attempt, retried like any other.
        if (error instanceof PluginCallError && isConfigurationRefusal(error.code)) {
          const refusal = `Configure failed: ${error.detail}`;
          await this.reject(record, registrationError(refusal), true, refusal);
        } else {
          this.fail(record, `Configure failed: ${describe(error)}`);
        }
        return;
      }
      if (!current()) return;
      // Another socket serving this name may have registered while this one was configured.
      // Checked and claimed with nothing awaited in between, so of two such sockets exactly one
      // is told it is registered, and the other only that it is refused.
      const rival = this.nameHolder(record);
      if (rival) {
        return await this.reject(record, registrationError(`a plugin named ${record.name} is already registered from socket ${rival.socketPath}`), true);
      }
      record.claimsName = true;
      try {
        await connection.unary(pluginregistration.RegistrationService.notifyRegistrationStatus, { pluginRegistered: true, error: '' });
      } catch (error) {
        record.claimsName = false;
        if (current()) this.fail(record, `NotifyRegistrationStatus failed: ${describe(error)}`);
        return;
      }
      record.claimsName = false;
      if (!current()) return;
      this.bind(record, serviceConnection, performance.now() - started);
    } catch (error) {
      // Not a call into the plugin: the agent could not reach its socket (e.g. no link for a long path).
      if (current()) this.fail(record, `cannot connect: ${describe(error)}`);
    } finally {
      record.busy = false;
    }
  }

  /** Another socket's plugin that is registered under this record's name, or about to be. */
  private nameHolder(record: PluginRecord): PluginRecord | undefined {
    return [...this.records.values()].find((r) => r !== record && r.name === record.name && (r.state === 'registered' || r.claimsName));
  }

  private bind(record: PluginRecord, connection: PluginConnection, durationMs: number): void {
    const child = new Container({ parent: this.root });
    const { name } = record;
    for (const service of record.services) {
      if (service === 'v1alpha1.AdmitHandler') {
        child.bind(AdmitHandler).toConstantValue(new RemoteAdmitHandler(name, connection, this.options.failurePolicy(name)));
      } else if (service === 'v1alpha1.HintProvider') {
        child.bind(HintProvider).toConstantValue(new RemoteHintProvider(name, connection));
      } else if (service === 'v1alpha1.PodSource') {
        child.bind(PodSource).toConstantValue(new RemotePodSource(name, connection, this.logger));
      } else if (service === 'v1alpha1.StatusFunc') {
        child.bind(StatusFunc).toConstantValue(new RemoteStatusFunc(name, connection));
      }
    }
    record.container = child;
    this.unboundAt.delete(name);
    record.state = 'registered';
    record.lastError = null;
    record.lastErrorTime = null;
    record.retryable = false;
    record.failures = 0;
    record.registeredSince = new Date();
    record.wasRegistered = true;
    record.lostReason = null;
    record.configurationRefusal = null;
    this.contributions.addPlugin(name, child);
    this.metrics.pluginRegistrations.inc({ result: 'registered' });
    this.metrics.registeredPlugins.inc();
    this.logger.info(
      { plugin: name, type: record.type, services: record.services, socket: record.socketPath, endpoint: record.endpoint, durationMs: Math.round(durationMs) },
      'plugin registered',
    );
    this.emit({ kind: 'bound', name, services: record.services });
    this.watchLiveness(record, connection);
  }

  private unbind(record: PluginRecord, why: string): void {
    if (record.state !== 'registered') return;
    this.contributions.removePlugin(record.name);
    record.container?.unbindAll();
    delete record.container;
    this.closeConnections(record);
    record.state = 'disconnected';
    this.unboundAt.set(record.name, Date.now());
    setError(record, why);
    record.lostReason = why;
    record.registeredSince = null;
    record.retryable = true;
    record.nextRetryAt = Date.now() + 500;
    setTimeout(() => this.watcher.requestScan(), 505).unref();
    this.metrics.registeredPlugins.dec();
    this.logger.warn({ plugin: record.name, socket: record.socketPath, reason: why }, 'plugin unbound');
    this.emit({ kind: 'unbound', name: record.name, services: record.services });
  }

  /**
   * Refuses a plugin: `reason` is what the plugin is told (upstream's wording, see
   * registration-error.ts), also shown and logged; `configurationRefusal` is the plugin's own
   * refusal of its configuration, for the node condition.
   */
  private async reject(record: PluginRecord, reason: string, retryable: boolean, configurationRefusal: string | null = null): Promise<void> {
    record.state = 'rejected';
    setError(record, reason);
    record.configurationRefusal = configurationRefusal;
    this.metrics.pluginRegistrations.inc({ result: 'rejected' });
    this.logger.warn({ plugin: record.name, type: record.type, socket: record.socketPath, reason }, 'plugin registration refused');
    this.scheduleRetry(record, retryable);
    try {
      await record.connection?.unary(pluginregistration.RegistrationService.notifyRegistrationStatus, { pluginRegistered: false, error: reason });
    } catch {
      // Already logged by the connection; the verdict stands either way.
    }
    this.closeConnections(record);
  }

  private fail(record: PluginRecord, reason: string): void {
    const lost = record.wasRegistered ? record.lostReason : null;
    record.state = lost ? 'disconnected' : 'failed';
    setError(record, lost ? `${lost}; reconnecting: ${reason}` : reason);
    this.metrics.pluginRegistrations.inc({ result: 'failed' });
    this.scheduleRetry(record, true);
    this.logger.warn({ plugin: record.name || undefined, socket: record.socketPath, reason, retryInMs: record.nextRetryAt - Date.now() }, 'plugin registration failed');
    this.closeConnections(record);
  }

  private scheduleRetry(record: PluginRecord, retryable: boolean): void {
    record.retryable = retryable;
    record.failures++;
    // The first retry comes quickly: a socket is visible from bind(2), a moment before the
    // plugin listens, so a first refusal is usually just that race.
    const delay = Math.min(MAX_RETRY_DELAY_MS, 50 * 4 ** (record.failures - 1));
    record.nextRetryAt = Date.now() + delay;
    // Retries are taken on a scan; wake one at the retry time rather than waiting for the periodic rescan.
    if (retryable) setTimeout(() => this.watcher.requestScan(), delay + 5).unref();
  }

  /** Watches the channel; when the connection drops, a probe decides whether the plugin is gone. */
  private watchLiveness(record: PluginRecord, connection: PluginConnection): void {
    const { channel } = connection;
    const loop = (last: grpc.connectivityState): void => {
      if (last === grpc.connectivityState.SHUTDOWN) return;
      channel.watchConnectivityState(last, Infinity, () => {
        if (record.state !== 'registered' || record.serviceConnection !== connection) return;
        const now = channel.getConnectivityState(false);
        if (now === grpc.connectivityState.READY || now === grpc.connectivityState.CONNECTING) return loop(now);
        if (now === grpc.connectivityState.SHUTDOWN) return;
        void this.probe(record).then(async (alive) => {
          if (alive) return loop(channel.getConnectivityState(true));
          // A plugin stopping gracefully closes its server and then removes its socket; the
          // dropped connection can be seen first, and must not make a deliberate exit look like a crash.
          const socketGone = await access(record.socketPath).then(() => false, () => true);
          if (record.state !== 'registered' || record.serviceConnection !== connection) return;
          this.unbind(record, socketGone ? SOCKET_REMOVED : 'connection lost: the plugin does not answer');
        });
      });
    };
    loop(channel.getConnectivityState(false));
  }

  private async probe(record: PluginRecord): Promise<boolean> {
    const connection = record.connection;
    if (!connection) return false;
    try {
      await connection.unary(pluginregistration.RegistrationService.getInfo, {}, PROBE_TIMEOUT_MS);
      return true;
    } catch {
      return false;
    }
  }

  private connect(record: PluginRecord, name: string, socketPath: string): PluginConnection {
    return new PluginConnection(name, socketPath, {
      logger: this.logger,
      metrics: this.metrics,
      callTimeoutMs: this.options.callTimeoutMs,
      onCallFailure: (error) => this.callFailed(record, error),
    });
  }

  /**
   * Puts a failed call into a registered plugin on its row; the plugin stays registered (the
   * extension point's failure policy answers the call). Failures during the handshake show
   * as the handshake's own outcome instead.
   */
  private callFailed(record: PluginRecord, error: PluginCallError): void {
    if (this.records.get(record.socketPath) !== record || record.state !== 'registered') return;
    record.callFailures++;
    setError(record, `${error.method} failed: ${error.code}: ${error.detail}`);
  }

  /** A path the kernel accepts for connect(2): sockets deeper than 107 bytes are reached through a short symlink. */
  private async dialablePath(socketPath: string): Promise<string> {
    const link = this.links.dialPath(socketPath);
    if (link === socketPath) return socketPath;
    this.logger.warn(
      { socket: socketPath, bytes: Buffer.byteLength(socketPath), limit: MAX_UNIX_PATH, link },
      'plugin socket path is longer than a unix socket address allows; connecting through a short link',
    );
    return link;
  }

  private closeConnections(record: PluginRecord): void {
    if (record.serviceConnection && record.serviceConnection !== record.connection) record.serviceConnection.close();
    record.connection?.close();
    delete record.connection;
    delete record.serviceConnection;
  }

  private emit(event: RegistryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: (error as Error).message, event }, 'plugin registry listener failed');
      }
    }
  }
}

function newRecord(entry: RegistryEntry): PluginRecord {
  return {
    socketPath: entry.path,
    identity: entry.identity,
    state: 'registering',
    name: '',
    type: '',
    services: [],
    endpoint: '',
    lastError: null,
    lastErrorTime: null,
    callFailures: 0,
    registeredSince: null,
    pid: null,
    wasRegistered: false,
    lostReason: null,
    configurationRefusal: null,
    claimsName: false,
    busy: false,
    retryable: false,
    failures: 0,
    nextRetryAt: 0,
  };
}

function setError(record: PluginRecord, message: string): void {
  record.lastError = message;
  record.lastErrorTime = new Date();
}

function describe(error: unknown): string {
  return error instanceof PluginCallError ? `${error.code}: ${error.detail}` : (error as Error).message;
}
